// Shared by the NFC tests: fixed test keys (public test material, never used outside tests), builders
// of relay- and user-signed messages, raw APDU helpers, and a rig joining the NFC application to
// the RecordingPileServicesDouble over the simulated field.
import { CLA_PROPRIETARY, encodeCommandApdu, parseResponseApdu } from '../../contracts-offline/apdu.ts';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { CborTag } from '../../contracts-offline/cbor-value.ts';
import { COSE_SIGN1_TAG, parseSign1 } from '../../contracts-offline/cose-sign1.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { type KeyPair, keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { type Ack, encodeAck } from '../../contracts-offline/messages/ack.ts';
import { type Authorization, encodeAuthorization } from '../../contracts-offline/messages/authorization.ts';
import { type PileUpdate, encodePileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { type StopRequest, encodeStopRequest } from '../../contracts-offline/messages/stop-request.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { createNfcApplication } from '../../firmware/nfc/application.ts';
import { NonceBook } from '../../firmware/nfc/nonce-book.ts';
import type { NfcCardHandler } from '../../hal/types.ts';
import { NfcFieldSim, type NfcTap } from '../../hal/sim/nfc-field.ts';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';
import { PileReader } from '../../tools/phone/pile-reader.ts';
import { simulatedTapTransport } from '../../tools/phone/sim-field-transport.ts';
import { RecordingPileServicesDouble } from './pile-services-double.ts';

const keyFrom = (byte: number): KeyPair => keyPairFromSecret(new Uint8Array(32).fill(byte));
export const relayKeys = keyFrom(0x11);
export const pileKeys = keyFrom(0x22);
export const userKeys = keyFrom(0x33);
export const otherUserKeys = keyFrom(0x44);
export const pileId = hexToBytes('50a1e00000000017');
export const otherPileId = hexToBytes('50a1e00000000099');
export const startMs = Date.UTC(2026, 0, 1, 8);
export const startS = startMs / 1000;

export function voucher(pileNonce: Uint8Array, overrides: Partial<Authorization> = {}): Authorization {
  return {
    voucherId: hexToBytes('70c4e40000000001'), userKid: userKeys.kid, pileId, pileNonce,
    limit: { mode: 'energy', energyWh: 20_000 }, capMinor: 1_050, tariffVersion: 3, expiresAtS: startS + 600,
    ...overrides,
  };
}

export function signedVoucher(pileNonce: Uint8Array, overrides: Partial<Authorization> = {}, signer: KeyPair = relayKeys): Uint8Array {
  return signMessage(encodeAuthorization(voucher(pileNonce, overrides)), signer.secretKey);
}

export function signedStop(request: StopRequest, signer: KeyPair): Uint8Array {
  return signMessage(encodeStopRequest(request), signer.secretKey);
}

export function pileUpdate(configVersion: number, overrides: Partial<PileUpdate> = {}): PileUpdate {
  return {
    pileId, configVersion, tariff: { version: configVersion, energyMinorPerKwh: 40, timeMinorPerHour: 0, sessionFeeMinor: 25 },
    label: 'Updated bay', maxPowerW: 7_400, issuedAtS: startS, ...overrides,
  };
}

export function signedUpdate(update: PileUpdate, signer: KeyPair = relayKeys): Uint8Array {
  return signMessage(encodePileUpdate(update), signer.secretKey);
}

export function signedAck(ack: Partial<Ack>, signer: KeyPair = relayKeys): Uint8Array {
  return signMessage(encodeAck({ pileId, ranges: [{ fromSeq: 1, toSeq: 1 }], atS: startS, ...ack }), signer.secretKey);
}

/** A raw command APDU (CLA 80 by default). */
export function command(ins: number, data: Uint8Array = new Uint8Array(0), options: { cla?: number; p1?: number; p2?: number; le?: number } = {}): Uint8Array {
  return encodeCommandApdu({ cla: options.cla ?? CLA_PROPRIETARY, ins, p1: options.p1 ?? 0, p2: options.p2 ?? 0, data, le: options.le });
}

export function statusOf(response: Uint8Array): number {
  const parsed = parseResponseApdu(response);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value.sw;
}

export function dataOf(response: Uint8Array): Uint8Array {
  const parsed = parseResponseApdu(response);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value.data;
}

export type DoubleRig = {
  services: RecordingPileServicesDouble;
  clock: VirtualClock;
  field: NfcFieldSim;
  /** The card application itself, for frames the simulated reader would not send (under 4 bytes). */
  handler: NfcCardHandler;
  /** Begins a tap and wraps it in a PileReader. */
  tap(): { tap: NfcTap; reader: PileReader };
};

export function doubleRig(): DoubleRig {
  const clock = new VirtualClock({ startMs });
  const services = new RecordingPileServicesDouble({ pileId, pileKeys, relayPublicKey: relayKeys.publicKey, nowS: startS });
  const field = new NfcFieldSim();
  const handler = createNfcApplication(services, { crypto: nobleEd25519, nonces: new NonceBook(clock, new SeededRandom(7)) });
  field.setHandler(handler);
  return {
    services, clock, field, handler,
    tap() {
      const tap = field.tap();
      return { tap, reader: new PileReader(simulatedTapTransport(tap)) };
    },
  };
}

/** The same COSE_Sign1 with another payload and the original signature: a tampered message. */
export function withPayload(signed: Uint8Array, payload: Uint8Array): Uint8Array {
  const parsed = parseSign1(signed);
  if (!parsed.ok) throw new Error(parsed.reason);
  return encodeCbor(new CborTag(COSE_SIGN1_TAG, [parsed.value.protectedBytes, new Map(), payload, parsed.value.signature]));
}

/** The same bytes with the last byte (inside the signature) flipped. */
export function withBadSignature(signed: Uint8Array): Uint8Array {
  const out = signed.slice();
  out[out.length - 1]! ^= 0x01;
  return out;
}

export function payloadOf(signed: Uint8Array): Uint8Array {
  const parsed = parseSign1(signed);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value.payload;
}
