// Journal room a session needs after its contract, so that once a contract is signed its receipt
// can always be written (commit before act): worst-case record sizes, computed from the encoders.
import { signSign1With } from '../../contracts-offline/cose-sign1.ts';
import { U32_MAX } from '../../contracts-offline/messages/fields.ts';
import { encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { recordFramingLength } from '../journal/layout.ts';
import { encodeBillingFloor } from '../records/billing-floor-record.ts';
import { encodeCheckpoint } from '../records/checkpoint-record.ts';

const largestReceipt = encodeReceipt({
  pileId: new Uint8Array(8), contractSeq: U32_MAX - 1, seq: U32_MAX, endReason: 'abnormal', endDetail: 255,
  energyWh: U32_MAX, durationS: U32_MAX, amountMinor: U32_MAX, endMeterWh: Number.MAX_SAFE_INTEGER, endAtS: U32_MAX,
});
// The envelope's size does not depend on the key or the signature's value, only on their lengths.
const largestSignedReceipt = signSign1With(largestReceipt, { kid: new Uint8Array(8), sign: () => new Uint8Array(64) });

export const receiptRecordMaxBytes = recordFramingLength + largestSignedReceipt.length;
export const checkpointRecordMaxBytes =
  recordFramingLength + encodeCheckpoint({ contractSeq: U32_MAX, meterWh: Number.MAX_SAFE_INTEGER, durationS: U32_MAX, atS: U32_MAX }).length;
export const billingFloorRecordMaxBytes = recordFramingLength + encodeBillingFloor(U32_MAX).length;

/** Kept free when a checkpoint is written: the receipt, and the billing floor an Ack may need. */
export const checkpointHeadroomBytes = receiptRecordMaxBytes + billingFloorRecordMaxBytes;
/** Kept free when a contract is written: the above plus one checkpoint. */
export const contractHeadroomBytes = checkpointHeadroomBytes + checkpointRecordMaxBytes;
