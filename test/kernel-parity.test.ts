// Every kernel of every backend that loads here, against the TypeScript reference, on the cases
// and tolerances of parity-cases.ts.
import test from 'tape';
import { availableBackends } from '../src/backend/index.js';
import { checkParity } from './parity-cases.js';

test('kernel parity: every backend against the reference', async (t) => {
  const backends = (await availableBackends()).filter((k) => k.name !== 'js');
  t.comment(`backends compared: ${backends.map((k) => k.name).join(', ') || 'none besides the reference'}`);
  for (const k of backends) checkParity(t, k);
  t.end();
});
