// Authorization (type 5, relay-signed voucher): the relay checked the user's signed request and
// balance online; the pile checks this one signature, the pile id and its own fresh nonce.
import { type MessageCodec, defineMessage } from './schema.ts';
import { U32_MAX, atSField, idField, nonceField, u32Field } from './fields.ts';
import { type ChargeLimit } from '../charge-limit.ts';

export type Authorization = {
  voucherId: Uint8Array;
  userKid: Uint8Array;
  pileId: Uint8Array;
  pileNonce: Uint8Array;
  limit: ChargeLimit;
  capMinor: number;
  tariffVersion: number;
  expiresAtS: number;
};

export const AuthorizationCodec: MessageCodec<Authorization> = defineMessage<Authorization>({
  type: 5,
  name: 'Authorization',
  fields: {
    voucherId: idField(2),
    userKid: idField(3),
    pileId: idField(4),
    pileNonce: nonceField(5),
    limit: { kind: 'limit', key: 6, limitKey: 7 },
    capMinor: { kind: 'uint', key: 8, min: 1, max: U32_MAX },
    tariffVersion: u32Field(9, 1),
    expiresAtS: atSField(10),
  },
  check: (m) => (m.limit.mode === 'amount' && m.capMinor < m.limit.amountMinor ? 'capMinor is below the amount limit' : undefined),
});

export const encodeAuthorization = AuthorizationCodec.encode;
export const decodeAuthorization = AuthorizationCodec.decode;
