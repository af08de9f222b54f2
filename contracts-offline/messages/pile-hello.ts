// PileHello (type 1): the pile's answer to SELECT — who it is, what it runs, and a fresh nonce.
import { type MessageCodec, defineMessage } from './schema.ts';
import { type PileState, idField, nonceField, stateField, u32Field } from './fields.ts';

export type PileHello = {
  pileId: Uint8Array;
  firmwareVersion: string;
  configVersion: number;
  state: PileState;
  outboxCount: number;
  pileNonce: Uint8Array;
};

export const PileHelloCodec: MessageCodec<PileHello> = defineMessage<PileHello>({
  type: 1,
  name: 'PileHello',
  fields: {
    pileId: idField(2),
    firmwareVersion: { kind: 'text', key: 3, maxBytes: 16 },
    configVersion: u32Field(4),
    state: stateField(5),
    outboxCount: { kind: 'uint', key: 6, min: 0, max: 0xffff },
    pileNonce: nonceField(7),
  },
});

export const encodePileHello = PileHelloCodec.encode;
export const decodePileHello = PileHelloCodec.decode;
