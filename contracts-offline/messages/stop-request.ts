// StopRequest (type 7, user- or relay-signed): stop one contract, bound to a fresh pile nonce so
// it works once, at this pile, at this tap.
import { type MessageCodec, defineMessage } from './schema.ts';
import { atSField, idField, nonceField, u32Field } from './fields.ts';

export type StopRequest = {
  pileId: Uint8Array;
  contractSeq: number;
  pileNonce: Uint8Array;
  atS: number;
};

export const StopRequestCodec: MessageCodec<StopRequest> = defineMessage<StopRequest>({
  type: 7,
  name: 'StopRequest',
  fields: {
    pileId: idField(2),
    contractSeq: u32Field(3),
    pileNonce: nonceField(4),
    atS: atSField(5),
  },
});

export const encodeStopRequest = StopRequestCodec.encode;
export const decodeStopRequest = StopRequestCodec.decode;
