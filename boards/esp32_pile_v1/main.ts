// The pile on board v1: assemble the board's PileHal (the drivers of boards/pile-board.ts, the
// PN7160 as its NFC card, the SE050 as its key store, the service console's port on UART0) with
// libsodium for the firmware's signature checks and key ids (boards/sodium, the ESP-IDF libsodium
// component), and run the firmware (firmware/pile-runtime.ts): the pile boots — mounting the
// journal (never formatting it) and refusing to run, showing why on the display and sending −12 V
// on the pilot, until the board is provisioned; a secure element that holds no key yet is a
// provisioning fault too — and the service console, where a technician creates the key and
// provisions the board, answers on the USB-UART bridge whatever the pile's state.
import { setSha256 } from '../../contracts-offline/crypto.ts';
import { runPile } from '../../firmware/pile-runtime.ts';
import { sodiumEd25519, sodiumSha256 } from '../sodium/ed25519-sodium.ts';
import { pileBoardV1Hal } from './hal.ts';

export default function main(): void {
  setSha256(sodiumSha256);
  const { hal } = pileBoardV1Hal();
  const pile = runPile({ ...hal, crypto: sodiumEd25519 }, { board: 'esp32_pile_v1' });
  if (pile.handle.fault) trace(`pile: refuses to run: ${pile.handle.fault}\n`);
}
