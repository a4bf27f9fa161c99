// How the native tests get the addon: absent (npm install --ignore-scripts, no compiler) they
// say so and skip, except in CI (or with SENTVEC_REQUIRE_NATIVE=1), where npm install builds it
// and its absence is a failure; SENTVEC_REQUIRE_NATIVE=0 lifts that.
import type test from 'tape';
import { loadNativeAddon, type NativeAddon } from '../src/backend/native.js';

function nativeRequired(): boolean {
  const setting = process.env.SENTVEC_REQUIRE_NATIVE;
  return setting === '1' || (Boolean(process.env.CI) && process.env.CI !== 'false' && setting !== '0');
}

export async function nativeAddonOrSkip(t: test.Test): Promise<NativeAddon | null> {
  try {
    return await loadNativeAddon();
  } catch (error) {
    const reason = (error as Error).message;
    if (nativeRequired()) t.fail(`native addon required here (CI or SENTVEC_REQUIRE_NATIVE=1): ${reason}`);
    else t.comment(`native addon absent, native tests skipped: ${reason}`);
    return null;
  }
}
