// Message type number -> codec, for code that meets bytes of any type (inspect, outbox, relay).
import { decodeCbor } from '../cbor-decode.ts';
import { type Result, fail } from '../result.ts';
import type { MessageCodec } from './schema.ts';
import { type Ack, AckCodec } from './ack.ts';
import { type Authorization, AuthorizationCodec } from './authorization.ts';
import { type Contract, ContractCodec } from './contract.ts';
import { type PileHello, PileHelloCodec } from './pile-hello.ts';
import { type PileInfo, PileInfoCodec } from './pile-info.ts';
import { type PileUpdate, PileUpdateCodec } from './pile-update.ts';
import { type Receipt, ReceiptCodec } from './receipt.ts';
import { type ServiceAuthorization, ServiceAuthorizationCodec } from './service-authorization.ts';
import { type StopRequest, StopRequestCodec } from './stop-request.ts';
import { type UplinkIdentity, UplinkIdentityCodec } from './uplink-identity.ts';
import { type UserHello, UserHelloCodec } from './user-hello.ts';

export type MessageMap = {
  PileHello: PileHello;
  UserHello: UserHello;
  PileInfo: PileInfo;
  PileUpdate: PileUpdate;
  Authorization: Authorization;
  Contract: Contract;
  StopRequest: StopRequest;
  Receipt: Receipt;
  Ack: Ack;
  ServiceAuthorization: ServiceAuthorization;
  UplinkIdentity: UplinkIdentity;
};
export type MessageName = keyof MessageMap;
export type AnyMessage = { [N in MessageName]: { name: N; type: number; message: MessageMap[N] } }[MessageName];

export const codecs: { readonly [N in MessageName]: MessageCodec<MessageMap[N]> } = Object.freeze({
  PileHello: PileHelloCodec,
  UserHello: UserHelloCodec,
  PileInfo: PileInfoCodec,
  PileUpdate: PileUpdateCodec,
  Authorization: AuthorizationCodec,
  Contract: ContractCodec,
  StopRequest: StopRequestCodec,
  Receipt: ReceiptCodec,
  Ack: AckCodec,
  ServiceAuthorization: ServiceAuthorizationCodec,
  UplinkIdentity: UplinkIdentityCodec,
});

export const MESSAGE_NAMES = Object.freeze(Object.keys(codecs) as MessageName[]);

/** Type number -> name. */
export const messageNames: ReadonlyMap<number, MessageName> = new Map(MESSAGE_NAMES.map((name) => [codecs[name].type, name]));

export function isMessageName(name: unknown): name is MessageName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(codecs, name);
}

/** Decodes a message of any known type (read from key 0). Never throws. */
export function decodeAnyMessage(bytes: Uint8Array): Result<AnyMessage> {
  const decoded = decodeCbor(bytes);
  if (!decoded.ok) return decoded;
  const map = decoded.value;
  if (!(map instanceof Map)) return fail('malformed', 'message: not a map');
  const type = map.get(0);
  const name = typeof type === 'number' ? messageNames.get(type) : undefined;
  if (name === undefined) return fail('malformed', `message: unknown message type ${JSON.stringify(type ?? null)}`);
  const message = codecs[name].decode(bytes);
  if (!message.ok) return message;
  return { ok: true, value: { name, type: type as number, message: message.value } as AnyMessage };
}
