// `tapcharge day` (host-main.ts): the scripted pile day on the host board, printed as one
// `XS-DAY {json}` line like the xsnap run: the flash image's SHA-256 and length, every signed
// record, every tap.
import { dayOutcome } from '../support/day/day-outcome.ts';
import { runScriptedDay } from '../support/day/scripted-day.ts';

declare function print(...values: unknown[]): void;

export async function runDay(): Promise<number> {
  print(`XS-DAY ${JSON.stringify(dayOutcome(await runScriptedDay({ board: 'host' })))}`);
  return 0;
}
