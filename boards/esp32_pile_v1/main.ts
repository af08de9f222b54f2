// The pile on board v1: assemble the board's PileHal and boot the firmware. The firmware mounts
// the journal (never formatting it) and refuses to run, showing why on the display and sending
// −12 V on the pilot, until the board is provisioned.
//
// Not on this image yet: the NFC controller (PN7160) and secure element (SE050) drivers, and the
// USB service console that provisions the board. Until they land, the key store below holds no key
// (a provisioned journal names a key it cannot match, so the pile refuses to run) and the NFC
// card never sees a field.
import type { KeyStore, NfcCard } from '../../hal/types.ts';
import { bootPile } from '../../firmware/pile.ts';
import { pileBoardV1Hal } from './hal.ts';

const noSecureElement: KeyStore = Object.freeze({
  publicKey: new Uint8Array(32),
  sign(): Uint8Array {
    throw new Error('no secure element driver on this image');
  },
});
const noNfcController: NfcCard = Object.freeze({ setHandler() {} });

export default function main(): void {
  const { hal } = pileBoardV1Hal({ keyStore: noSecureElement, nfc: noNfcController });
  const pile = bootPile(hal);
  if (pile.fault) trace(`pile: refuses to run: ${pile.fault}\n`);
}
