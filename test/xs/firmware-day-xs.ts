// Runs inside xsnap (bundled by test/xs/firmware-day.test.ts): the scripted pile day on the
// firmware and the simulated board, then one line `XS-DAY {json}`: the flash image's SHA-256 and
// length, every signed record handed out, and every tap's air figures.
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { sha256 } from '../../contracts-offline/crypto.ts';
import { runScriptedDay } from '../support/day/scripted-day.ts';

declare function print(...values: unknown[]): void;

runScriptedDay().then(
  (day) => {
    print(`XS-DAY ${JSON.stringify({
      flashSha256: bytesToHex(sha256(day.flashImage)),
      flashBytes: day.flashImage.length,
      records: day.records.map((r) => ({ seq: r.seq, signed: bytesToHex(r.signed) })),
      taps: day.taps,
      sessions: day.sessions.length,
    })}`);
  },
  (error: unknown) => {
    print(`XS-DAY-ERROR ${error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)}`);
  },
);
