// Components a test drives that a developer machine may lack (the native addon where no compiler
// is, Chromium): absent, their tests say so in one line and skip; under CI, or with the
// component's SENTVEC_REQUIRE_* variable at 1, absence is a failure, so CI always proves them.
// The variable at 0 lifts the requirement under CI.
import type test from 'tape';

export function required(variable: string): boolean {
  const setting = process.env[variable];
  return setting === '1' || (Boolean(process.env.CI) && process.env.CI !== 'false' && setting !== '0');
}

/** Fails `t` where `variable` makes the component required, else comments that its tests skip. */
export function absent(t: test.Test, component: string, reason: string, variable: string): void {
  if (required(variable)) t.fail(`${component} required here (CI or ${variable}=1): ${reason}`);
  else t.comment(`${component} absent, its tests skipped: ${reason}`);
}
