// `npm run device:host`: build the native host executable with mcconfig (x-cli-lin) and run the
// scripted day in it; print its flash SHA-256 beside the Node run's, and exit non-zero unless the
// journal and every signed record are identical. Without MODDABLE: one line saying what is skipped.
import { type DayOutcome, buildHostExecutable, nodeDayOutcome, runHostExecutable } from '../support/host-build.ts';
import { findModdable } from '../support/moddable.ts';

const moddable = findModdable();
if ('skipped' in moddable) {
  console.log(`device:host skipped: ${moddable.skipped}`);
} else {
  const buildSeconds = buildHostExecutable(moddable);
  const started = Date.now();
  const native = runHostExecutable<DayOutcome>(['day'], 'XS-DAY');
  const runSeconds = (Date.now() - started) / 1000;
  const node = await nodeDayOutcome();
  const sameRecords = JSON.stringify(native.records) === JSON.stringify(node.records);
  console.log(`native x-cli-lin day: ${native.sessions} sessions, ${native.records.length} signed records (build ${buildSeconds.toFixed(1)} s, run ${runSeconds.toFixed(1)} s)`);
  console.log(`flash SHA-256, native Moddable build (host board, drivers over bus simulations, libsodium Ed25519): ${native.flashSha256}`);
  console.log(`flash SHA-256, Node (hal/sim parts, noble Ed25519):                                             ${node.flashSha256}`);
  console.log(`journal ${native.flashSha256 === node.flashSha256 ? 'identical' : 'DIFFERENT'}; signed records ${sameRecords ? 'identical' : 'DIFFERENT'}`);
  if (native.flashSha256 !== node.flashSha256 || !sameRecords) process.exitCode = 1;
}
