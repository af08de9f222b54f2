// The pile on board v1: assemble the board's PileHal (the drivers of boards/pile-board.ts, the
// PN7160 as its NFC card and the SE050 as its key store) with libsodium for the firmware's
// signature checks and key ids (boards/sodium, the ESP-IDF libsodium component), and boot the
// firmware. The firmware mounts the journal (never formatting it) and refuses to run, showing why
// on the display and sending −12 V on the pilot, until the board is provisioned; a secure element
// that holds no key yet is a provisioning fault too.
//
// Not on this image yet: the USB service console that creates the key and provisions the board.
import { setSha256 } from '../../contracts-offline/crypto.ts';
import { bootPile } from '../../firmware/pile.ts';
import { sodiumEd25519, sodiumSha256 } from '../sodium/ed25519-sodium.ts';
import { pileBoardV1Hal } from './hal.ts';

export default function main(): void {
  setSha256(sodiumSha256);
  const { hal } = pileBoardV1Hal();
  const pile = bootPile({ ...hal, crypto: sodiumEd25519 });
  if (pile.fault) trace(`pile: refuses to run: ${pile.fault}\n`);
}
