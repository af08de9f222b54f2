// Child process of crash.test.ts: opens the embedded ledger in DIR and runs crash ops from START,
// printing "done N" on stdout after each op's receipt. The parent kills it with SIGKILL.
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { crashOps, runOp } from './crash-ops.ts';

const [dir, start, count] = process.argv.slice(2);
const ops = crashOps(Number(count));
const ledger = await openEmbeddedLedger(dir!, { deploy: true });
process.stdout.write('ready\n');
for (let i = Number(start); i < ops.length; i++) {
  await runOp(ledger, ops[i]!);
  process.stdout.write(`done ${i}\n`);
}
await ledger.close();
process.stdout.write('finished\n');
