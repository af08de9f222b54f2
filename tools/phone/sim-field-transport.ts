// An IsoDepTransport over one tap of the SIMULATED NFC field (hal/sim/nfc-field.ts), for tests and
// the phone simulator. A field loss rejects with the simulation's NfcTagLostError, as Android's
// IsoDep.transceive throws TagLostException.
import type { NfcTap } from '../../hal/sim/nfc-field.ts';
import type { IsoDepTransport } from './pile-reader.ts';

export function simulatedTapTransport(tap: NfcTap): IsoDepTransport {
  return {
    async transceive(apdu: Uint8Array): Promise<Uint8Array> {
      return tap.transceive(apdu);
    },
  };
}
