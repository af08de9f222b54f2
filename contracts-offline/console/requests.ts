// The service console's requests (firmware/console/README.md "Messages"): types 64..72, each a
// map with key 2 = request id (1..65535), echoed by the answer.
import { type MessageCodec, defineMessage } from '../messages/schema.ts';
import { atSField, idField, u32Field } from '../messages/fields.ts';
import { CONSOLE_BODY_MAX_BYTES } from './frame.ts';
import { publicKeyField, requestIdField, signedField } from './fields.ts';

export const CONSOLE_COMMANDS = ['Identify', 'CreateKey', 'Provision', 'ReadProvisioning', 'Status', 'Logs', 'SelfTest', 'SetClock', 'FactoryReset'] as const;
export type ConsoleCommand = (typeof CONSOLE_COMMANDS)[number];

/** A request that carries nothing but its id. */
export type PlainRequest = { requestId: number };
export type ProvisionRequest = {
  requestId: number;
  pileId: Uint8Array;
  relayPublicKey: Uint8Array;
  pilePublicKey: Uint8Array;
  /** COSE_Sign1 of the PileUpdate the pile starts with (label, tariff, configuration version). */
  pileUpdate: Uint8Array;
  /** COSE_Sign1 of a ServiceAuthorization, scope `provision`. */
  authorization: Uint8Array;
  /** The billing sequence the pile starts at: 1 for a new pile, past every record the relay holds for a pile provisioned again. */
  firstBillingSeq: number;
};
export type LogsRequest = { requestId: number; afterSeq: number };
export type SetClockRequest = { requestId: number; atS: number; authorization: Uint8Array };
export type FactoryResetRequest = { requestId: number; authorization: Uint8Array };

export type ConsoleRequestMap = {
  Identify: PlainRequest;
  CreateKey: PlainRequest;
  Provision: ProvisionRequest;
  ReadProvisioning: PlainRequest;
  Status: PlainRequest;
  Logs: LogsRequest;
  SelfTest: PlainRequest;
  SetClock: SetClockRequest;
  FactoryReset: FactoryResetRequest;
};

const maxBytes = CONSOLE_BODY_MAX_BYTES;
const requestId = requestIdField(1);
const plain = (type: number, name: ConsoleCommand): MessageCodec<PlainRequest> => defineMessage<PlainRequest>({ type, name, fields: { requestId }, maxBytes });

export const requestCodecs: { readonly [C in ConsoleCommand]: MessageCodec<ConsoleRequestMap[C]> } = Object.freeze({
  Identify: plain(64, 'Identify'),
  CreateKey: plain(65, 'CreateKey'),
  Provision: defineMessage<ProvisionRequest>({
    type: 66,
    name: 'Provision',
    fields: { requestId, pileId: idField(3), relayPublicKey: publicKeyField(4), pilePublicKey: publicKeyField(5), pileUpdate: signedField(6), authorization: signedField(7), firstBillingSeq: u32Field(8, 1) },
    maxBytes,
  }),
  ReadProvisioning: plain(67, 'ReadProvisioning'),
  Status: plain(68, 'Status'),
  Logs: defineMessage<LogsRequest>({ type: 69, name: 'Logs', fields: { requestId, afterSeq: u32Field(3) }, maxBytes }),
  SelfTest: plain(70, 'SelfTest'),
  SetClock: defineMessage<SetClockRequest>({ type: 71, name: 'SetClock', fields: { requestId, atS: atSField(3), authorization: signedField(4) }, maxBytes }),
  FactoryReset: defineMessage<FactoryResetRequest>({ type: 72, name: 'FactoryReset', fields: { requestId, authorization: signedField(3) }, maxBytes }),
});

/** Request type number → command. */
export const requestCommands: ReadonlyMap<number, ConsoleCommand> = new Map(CONSOLE_COMMANDS.map((command) => [requestCodecs[command].type, command]));
