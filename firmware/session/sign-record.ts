// Signing a record with the pile's key store. A key store that fails (a secure element off the
// bus) is a device fault: it is answered, never thrown through the NFC application.
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { signSign1With } from '../../contracts-offline/cose-sign1.ts';
import type { PileSigner } from '../pile-services.ts';

/** `messageBytes` straight from the message's encoder (encodeContract, encodeReceipt): not decoded again before signing. */
export function signRecord(messageBytes: Uint8Array, signer: PileSigner): Result<Uint8Array, 'device'> {
  try {
    return ok(signSign1With(messageBytes, signer));
  } catch (error) {
    return fail('device', `key store: ${(error as Error).message}`);
  }
}

/**
 * `signRecord` with `work` run while the key store computes (`KeyStore.signWhile`): `work` runs
 * once whatever the key store does, so what it decides stands even when the signature failed.
 */
export function signRecordWhile(messageBytes: Uint8Array, signer: PileSigner, work: () => void): Result<Uint8Array, 'device'> {
  return signRecord(messageBytes, { ...signer, sign: (toBeSigned) => signer.signWhile(toBeSigned, work) });
}
