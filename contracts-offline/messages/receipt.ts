// Receipt (type 8, pile-signed): how contract (pileId, contractSeq) ended and what it cost.
// seq is the receipt's own journal sequence, always after the contract's.
import { type MessageCodec, defineMessage } from './schema.ts';
import { U32_MAX, atSField, idField, registerField, u32Field } from './fields.ts';

export const END_REASONS = ['normal', 'user', 'abnormal'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** Detail codes for endDetail (0..255); the reason says who ended it, the detail says why. */
export const EndDetail = Object.freeze({
  none: 0,
  limitReached: 1,
  capReached: 2,
  vehicleDone: 3,
  userStop: 4,
  plugRemoved: 5,
  powerLoss: 6,
  meterFault: 7,
  contactorFault: 8,
  overcurrent: 9,
  groundFault: 10,
  pilotFault: 11,
  emergencyStop: 12,
});

export type Receipt = {
  pileId: Uint8Array;
  contractSeq: number;
  seq: number;
  endReason: EndReason;
  endDetail: number;
  energyWh: number;
  durationS: number;
  amountMinor: number;
  endMeterWh: number;
  endAtS: number;
};

export const ReceiptCodec: MessageCodec<Receipt> = defineMessage<Receipt>({
  type: 8,
  name: 'Receipt',
  fields: {
    pileId: idField(2),
    contractSeq: u32Field(3),
    seq: u32Field(4, 1),
    endReason: { kind: 'enum', key: 5, names: END_REASONS },
    endDetail: { kind: 'uint', key: 6, min: 0, max: 255 },
    energyWh: u32Field(7),
    durationS: u32Field(8),
    amountMinor: { kind: 'uint', key: 9, min: 0, max: U32_MAX },
    endMeterWh: registerField(10),
    endAtS: atSField(11),
  },
  check: (m) => {
    if (m.seq <= m.contractSeq) return 'seq must follow contractSeq';
    if (m.endMeterWh < m.energyWh) return 'endMeterWh is below energyWh';
    return undefined;
  },
});

export const encodeReceipt = ReceiptCodec.encode;
export const decodeReceipt = ReceiptCodec.decode;
