// UserHello (type 2): the phone introduces its user at tap 1 and brings a nonce the pile must sign over.
import { type MessageCodec, defineMessage } from './schema.ts';
import { DISPLAY_NAME_MAX_BYTES, idField, nonceField } from './fields.ts';

export type UserHello = {
  userKid: Uint8Array;
  displayName: string;
  phoneNonce: Uint8Array;
};

export const UserHelloCodec: MessageCodec<UserHello> = defineMessage<UserHello>({
  type: 2,
  name: 'UserHello',
  fields: {
    userKid: idField(2),
    displayName: { kind: 'text', key: 3, maxBytes: DISPLAY_NAME_MAX_BYTES },
    phoneNonce: nonceField(4),
  },
});

export const encodeUserHello = UserHelloCodec.encode;
export const decodeUserHello = UserHelloCodec.decode;
