// What a run of the scripted day is compared by, in every runtime (Node, xsnap, the native
// Moddable build): the journal's flash image by SHA-256 and length, every signed record handed
// out, every tap's air figures, the number of sessions. Plain data, printable as one JSON line.
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { sha256 } from '../../../contracts-offline/crypto.ts';
import type { TapLog } from './day-phone.ts';
import type { DayResult } from './scripted-day.ts';

export type DayOutcome = { flashSha256: string; flashBytes: number; records: { seq: number; signed: string }[]; taps: TapLog[]; sessions: number };

export function dayOutcome(day: DayResult): DayOutcome {
  return {
    flashSha256: bytesToHex(sha256(day.flashImage)),
    flashBytes: day.flashImage.length,
    records: day.records.map((r) => ({ seq: r.seq, signed: bytesToHex(r.signed) })),
    taps: JSON.parse(JSON.stringify(day.taps)) as TapLog[],
    sessions: day.sessions.length,
  };
}
