// Serves model folders as repos of a Hugging Face hub on loopback (test/hub-server.ts) until stdin
// closes, for the Python interop scripts in test/hub-interop/. Prints the endpoint, then one line
// per repo: id, commit. Usage: node dist/test/hub-serve.js ORG/NAME=FOLDER [...]
import { LoopbackHub, folderFiles } from './hub-server.js';

// the commit every served repo is at, fixed so fixtures made through this hub do not change
const SERVED_COMMIT = '5e17ec0de5e17ec0de5e17ec0de5e17ec0de5e17';

const repos = process.argv.slice(2).map((argument) => {
  const [id, dir] = argument.split('=');
  if (!id || !dir) throw new Error(`expected ORG/NAME=FOLDER, got '${argument}'`);
  return { id, commits: { [SERVED_COMMIT]: folderFiles(dir) }, refs: { main: SERVED_COMMIT } };
});
const hub = await LoopbackHub.start(repos);
process.stdout.write(`${hub.endpoint}\n${repos.map((repo) => `${repo.id} ${SERVED_COMMIT}\n`).join('')}`);
process.stdin.resume();
process.stdin.on('end', () => void hub.close());
