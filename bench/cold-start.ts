// The cold-start process of bench/e2e.ts: imports sentvec, loads the model in
// $SENTVEC_E2E_MODEL, encodes one sentence, prints its phases (ms since this process began) and
// exits. It imports nothing else, so its time is sentvec's own.
const importStart = performance.now();
const { load } = await import('../src/index.js');
const loadStart = performance.now();
const model = await load(process.env.SENTVEC_E2E_MODEL!);
const encodeStart = performance.now();
await model.encode(['A man is playing a guitar.']);
const end = performance.now();
const cpu = process.cpuUsage();
console.log(JSON.stringify({
  boot: importStart, imported: loadStart - importStart, loaded: encodeStart - loadStart, encoded: end - encodeStart,
  cpu: (cpu.user + cpu.system) / 1000,
}));
process.exit(0);
