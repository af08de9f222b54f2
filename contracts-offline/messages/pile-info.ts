// PileInfo (type 3, pile-signed): identity, tariff and state over the phone's nonce, so a
// recorded answer cannot be replayed to another tap — it proves the pile is genuine.
import { type MessageCodec, defineMessage } from './schema.ts';
import { LABEL_MAX_BYTES, type PileState, type Tariff, idField, nonceField, stateField, tariffField, u32Field } from './fields.ts';

export type PileInfo = {
  pileId: Uint8Array;
  phoneNonce: Uint8Array;
  state: PileState;
  configVersion: number;
  tariff: Tariff;
  label: string;
};

export const PileInfoCodec: MessageCodec<PileInfo> = defineMessage<PileInfo>({
  type: 3,
  name: 'PileInfo',
  fields: {
    pileId: idField(2),
    phoneNonce: nonceField(3),
    state: stateField(4),
    configVersion: u32Field(5),
    tariff: tariffField(6),
    label: { kind: 'text', key: 7, maxBytes: LABEL_MAX_BYTES },
  },
});

export const encodePileInfo = PileInfoCodec.encode;
export const decodePileInfo = PileInfoCodec.decode;
