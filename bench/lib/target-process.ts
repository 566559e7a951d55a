// A reference target in a process of its own, so a load generator in the
// bench process and the server each get a core. Prints its origin as the
// first line of stdout, then serves until its stdin closes.
import { fromDist, type ReferenceModule } from './keyprobe.js';

const { startReferenceTarget } = await fromDist<ReferenceModule>('reference/index.js');
const target = await startReferenceTarget();
process.stdout.write(`${target.origin}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void target.close().then(() => process.exit(0));
});
