// Child process of snapshot-crash.test.ts: opens the embedded ledger in DIR with a snapshot every
// EVERY transactions, runs crash ops from START and SIGKILLs itself the first time a write
// reaches STEP (a WriteStep of embedded.ts).
import { openEmbeddedLedger, type WriteStep } from '../../tools/ledger/embedded.ts';
import { crashOps, runOp } from './crash-ops.ts';

const [dir, start, count, every, killAt] = process.argv.slice(2);
const ops = crashOps(Number(count));
const ledger = await openEmbeddedLedger(dir!, {
  snapshotEveryTransactions: Number(every),
  onWriteStep: (step: WriteStep) => {
    if (step === killAt) process.kill(process.pid, 'SIGKILL');
  },
});
for (let i = Number(start); i < ops.length; i++) await runOp(ledger, ops[i]!);
await ledger.close();
process.stdout.write('finished\n');
