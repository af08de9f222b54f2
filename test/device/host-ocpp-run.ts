// `tapcharge ocpp` (host-main.ts): the networked pile's scripted OCPP day (test/support/ocpp-day.ts)
// on the host board with the native Ed25519 and SHA-256 (boards/sodium), printed as tagged JSON
// lines (transcriptLines): every frame on the uplink in order, then the frame count, the pile's
// outbox at the end and its journal's flash image SHA-256 and length.
import { setSha256 } from '../../contracts-offline/crypto.ts';
import { sodiumEd25519, sodiumSha256 } from '../../boards/sodium/ed25519-sodium.ts';
import { runOcppDay, transcriptLines } from '../support/ocpp-day.ts';

declare function print(...values: unknown[]): void;

export function runOcpp(): number {
  setSha256(sodiumSha256);
  for (const line of transcriptLines(runOcppDay({ board: 'host', crypto: sodiumEd25519 }))) print(line);
  return 0;
}
