// EXAMPLE for app developers (README.md "Embedding the SDK"): the SDK's NFC link in a React Native
// app with react-native-nfc-manager. The app copies it and passes its NfcManager (the package's
// default export); this repository depends on neither React Native nor that package, so the part
// of its API used here is declared below (v3: requestTechnology, isoDepHandler.transceive with
// bytes as number[], cancelTechnologyRequest). test/phone/neutral-bundle.test.ts runs it against
// a stand-in NfcManager over the simulated field.
//
//   import NfcManager from 'react-native-nfc-manager';
//   await NfcManager.start();
//   const hello = await withPileTap(NfcManager, (link) => phone.tapHello(link));
//   await phone.sync(); // after the tag is released: upload what the tap carried, keep the relay's Acks
//
// On iOS the app declares the tapcharge AID (TAPCHARGE_AID, hex F054415043484731) under
// com.apple.developer.nfc.readersession.iso7816.select-identifiers in Info.plist: iOS only
// reports an ISO 7816 tag that answers the SELECT of a listed AID.
import { PileLinkError } from './errors.ts';
import type { IsoDepTransport } from './pile-reader.ts';

/** What this adapter uses of react-native-nfc-manager's NfcManager. */
export interface NfcManagerIsoDep {
  /** Waits until a tag offering the technology is in the field (iOS shows `alertMessage`). */
  requestTechnology(tech: 'IsoDep', options?: { alertMessage?: string }): Promise<unknown>;
  /** Releases the tag (iOS closes its reader sheet). */
  cancelTechnologyRequest(): Promise<unknown>;
  isoDepHandler: {
    /** One command APDU out, the response APDU (data ‖ SW1 SW2) back, on Android and iOS alike. */
    transceive(bytes: number[]): Promise<number[]>;
  };
}

/** The SDK's transport over the tag NfcManager holds: a lost tag or closed session is a PileLinkError. */
export function isoDepLink(nfc: NfcManagerIsoDep): IsoDepTransport {
  return {
    async transceive(apdu: Uint8Array): Promise<Uint8Array> {
      let response: number[];
      try {
        response = await nfc.isoDepHandler.transceive(Array.from(apdu));
      } catch (error) {
        throw new PileLinkError(`NFC: ${error instanceof Error ? error.message : String(error)}`);
      }
      return Uint8Array.from(response);
    },
  };
}

/** One tap: waits for the pile's card, runs `flow` over it, releases the tag however `flow` ends. */
export async function withPileTap<T>(nfc: NfcManagerIsoDep, flow: (link: IsoDepTransport) => Promise<T>, alertMessage = 'Hold your phone to the charging pile'): Promise<T> {
  await nfc.requestTechnology('IsoDep', { alertMessage });
  try {
    return await flow(isoDepLink(nfc));
  } finally {
    await nfc.cancelTechnologyRequest();
  }
}
