// Provisioning record (state): who the pile is and whom it trusts. Written once into a blank
// journal (firmware/provisioning/provision-pile.ts); read at every boot.
// Payload: CBOR map {0: pileId (8 bytes), 1: relayPublicKey (32), 2: pilePublicKey (32, the key
// store's — checked at boot), 3: the first relay-signed PileUpdate (COSE_Sign1 bytes),
// 4: firstBillingSeq (the billing sequence the pile starts at: 1 for a new pile; for a pile
// provisioned again after a factory reset, past every record the relay holds, so contract ids never repeat)}.
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { ID_BYTES, U32_MAX } from '../../contracts-offline/messages/fields.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { expectBytes } from '../../contracts-offline/bytes.ts';
import { decodeRecordFields, encodeRecordFields, type RecordField } from './record-fields.ts';

export type ProvisioningRecord = {
  pileId: Uint8Array;
  relayPublicKey: Uint8Array;
  pilePublicKey: Uint8Array;
  /** Relay-signed PileUpdate (COSE_Sign1) for this pile: the first tariff and configuration. */
  pileUpdate: Uint8Array;
  firstBillingSeq: number;
};

const fields: readonly RecordField[] = Object.freeze([
  Object.freeze({ kind: 'bytes', length: ID_BYTES }),
  Object.freeze({ kind: 'bytes', length: 32 }),
  Object.freeze({ kind: 'bytes', length: 32 }),
  Object.freeze({ kind: 'bytes' }),
  Object.freeze({ kind: 'uint', max: U32_MAX }),
]);

export function encodeProvisioningRecord(record: ProvisioningRecord): Uint8Array {
  expectBytes('provisioning', 'pileId', record.pileId, ID_BYTES);
  expectBytes('provisioning', 'relayPublicKey', record.relayPublicKey, 32);
  expectBytes('provisioning', 'pilePublicKey', record.pilePublicKey, 32);
  expectBytes('provisioning', 'pileUpdate', record.pileUpdate);
  const { firstBillingSeq } = record;
  if (!Number.isInteger(firstBillingSeq) || firstBillingSeq < 1 || firstBillingSeq > U32_MAX) throw new RangeError(`provisioning: "firstBillingSeq" expected 1..${U32_MAX}, got ${firstBillingSeq}`);
  return encodeCbor(encodeRecordFields([record.pileId, record.relayPublicKey, record.pilePublicKey, record.pileUpdate, firstBillingSeq]));
}

export function decodeProvisioningRecord(bytes: Uint8Array): Result<ProvisioningRecord> {
  const read = decodeRecordFields('provisioning record', bytes, fields);
  if (!read.ok) return read;
  const [pileId, relayPublicKey, pilePublicKey, pileUpdate] = read.value as Uint8Array[];
  const firstBillingSeq = read.value[4] as number;
  if (firstBillingSeq < 1) return fail('malformed', 'provisioning record: firstBillingSeq is 0');
  return ok({ pileId: pileId!, relayPublicKey: relayPublicKey!, pilePublicKey: pilePublicKey!, pileUpdate: pileUpdate!, firstBillingSeq });
}
