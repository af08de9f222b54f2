// Contract (type 6, pile-signed at tap 2): what was agreed, frozen at the start. The contract id
// is (pileId, seq) — seq is the pile's journal sequence of this record. Capped or open follows
// from the mode (isCapped): full is open, the others are capped by capMinor.
import { type MessageCodec, defineMessage } from './schema.ts';
import { type Tariff, U32_MAX, atSField, idField, registerField, tariffField, u32Field } from './fields.ts';
import { type ChargeLimit } from '../charge-limit.ts';

export type Contract = {
  pileId: Uint8Array;
  seq: number;
  userKid: Uint8Array;
  voucherId: Uint8Array;
  limit: ChargeLimit;
  tariff: Tariff;
  startMeterWh: number;
  capMinor: number;
  startAtS: number;
};

export const ContractCodec: MessageCodec<Contract> = defineMessage<Contract>({
  type: 6,
  name: 'Contract',
  fields: {
    pileId: idField(2),
    seq: u32Field(3),
    userKid: idField(4),
    voucherId: idField(5),
    limit: { kind: 'limit', key: 6, limitKey: 7 },
    tariff: tariffField(8),
    startMeterWh: registerField(9),
    capMinor: { kind: 'uint', key: 10, min: 1, max: U32_MAX },
    startAtS: atSField(11),
  },
  check: (m) => (m.limit.mode === 'amount' && m.capMinor < m.limit.amountMinor ? 'capMinor is below the amount limit' : undefined),
});

export const encodeContract = ContractCodec.encode;
export const decodeContract = ContractCodec.decode;
