// How the native tests get the addon: absent (npm install --ignore-scripts, no compiler) they
// say so and skip, except in CI (or with SENTVEC_REQUIRE_NATIVE=1), where npm install builds it
// and its absence is a failure; SENTVEC_REQUIRE_NATIVE=0 lifts that.
import type test from 'tape';
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
