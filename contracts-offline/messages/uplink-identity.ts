// UplinkIdentity (type 11, pile-signed): the pile's answer to the relay's challenge on a new OCPP
// uplink connection (tools/relay/README.md "OCPP endpoint"). Signed with the key registered for
// the pile, it proves the connection comes from that pile; the challenge, fresh for each
// connection and taken once, keeps an answer from serving another connection.
import { type MessageCodec, defineMessage } from './schema.ts';
import { atSField, idField } from './fields.ts';

/** The OCPP 1.6 DataTransfer that carries the challenge (relay → pile) and the answer (the conf's `data`). */
export const UPLINK_VENDOR_ID = 'com.tapcharge';
export const IDENTITY_CHALLENGE_MESSAGE_ID = 'IdentityChallenge';

/** The relay's challenge: 16 random bytes per connection. */
export const UPLINK_CHALLENGE_BYTES = 16;

export type UplinkIdentity = {
  pileId: Uint8Array;
  challenge: Uint8Array;
  /** The pile's clock when it signed (informational: the challenge gives freshness). */
  atS: number;
};

export const UplinkIdentityCodec: MessageCodec<UplinkIdentity> = defineMessage<UplinkIdentity>({
  type: 11,
  name: 'UplinkIdentity',
  fields: {
    pileId: idField(2),
    challenge: { kind: 'bytes', key: 3, minLength: UPLINK_CHALLENGE_BYTES, maxLength: UPLINK_CHALLENGE_BYTES },
    atS: atSField(4),
  },
});

export const encodeUplinkIdentity = UplinkIdentityCodec.encode;
export const decodeUplinkIdentity = UplinkIdentityCodec.decode;
