// Run by test/hub.test.ts as a child process, not by tape: downloads the repo named on the command
// line through the hub at $HF_ENDPOINT into $HF_HUB_CACHE and prints the snapshot folder.
import { download } from '../src/index.js';

try {
  process.stdout.write(`${(await download(process.argv[2])).dir}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
