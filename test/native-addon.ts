// How the native tests get the addon: absent (npm install --ignore-scripts, no compiler) they
// say so and skip, except in CI (or with SENTVEC_REQUIRE_NATIVE=1), where npm install builds it
// and its absence is a failure; SENTVEC_REQUIRE_NATIVE=0 lifts that.
import type test from 'tape';
import { availableBackends } from '../src/backend/index.js';
import type { Kernels } from '../src/backend/kernels.js';
import { loadNativeAddon, type NativeAddon } from '../src/backend/native.js';
import { absent } from './required.js';

export async function nativeAddonOrSkip(t: test.Test): Promise<NativeAddon | null> {
  try {
    return await loadNativeAddon();
  } catch (error) {
    absent(t, 'native addon', (error as Error).message, 'SENTVEC_REQUIRE_NATIVE');
    return null;
  }
}

export interface BackendConfiguration { label: string; kernels: Kernels; enter(): void }

/** Each compiled backend configuration this machine runs: every supported native ISA level, and wasm. */
export async function compiledConfigurations(t: test.Test): Promise<BackendConfiguration[]> {
  const addon = await nativeAddonOrSkip(t);
  const found: BackendConfiguration[] = [];
  for (const kernels of await availableBackends()) {
    if (kernels.name === 'js') continue;
    if (kernels.name !== 'native' || !addon) {
      found.push({ label: kernels.name, kernels, enter: () => {} });
      continue;
    }
    for (const level of addon.isaLevels().filter((l) => l.supported)) {
      found.push({ label: `native ${level.name}`, kernels, enter: () => addon.setIsa(level.name) });
    }
  }
  return found;
}
