// `tapcharge day` (host-main.ts): the scripted pile day on the host board with the native Ed25519
// and SHA-256 (boards/sodium: the pile's signature checks and key ids, its key store, the relay and the users), printed as one
// `XS-DAY {json}` line like the xsnap run: the flash image's SHA-256 and length, every signed
// record, every tap.
import { setSha256 } from '../../contracts-offline/crypto.ts';
import { sodiumEd25519, sodiumSha256 } from '../../boards/sodium/ed25519-sodium.ts';
import { dayOutcome } from '../support/day/day-outcome.ts';
import { runScriptedDay } from '../support/day/scripted-day.ts';

declare function print(...values: unknown[]): void;

export async function runDay(): Promise<number> {
  setSha256(sodiumSha256);
  print(`XS-DAY ${JSON.stringify(dayOutcome(await runScriptedDay({ board: 'host', crypto: sodiumEd25519 })))}`);
  return 0;
}
