// The service console's answers (firmware/console/README.md "Messages"): each request's answer is
// its type + 32 and echoes its request id; the Error answer (127) may carry request id 0.
import { type MessageCodec, defineMessage } from '../messages/schema.ts';
import { ID_BYTES, type PileState, atSField, idField, registerField, stateField, u32Field } from '../messages/fields.ts';
import { CONSOLE_CHALLENGE_BYTES } from '../messages/service-authorization.ts';
import { CONSOLE_BODY_MAX_BYTES } from './frame.ts';
import { PUBLIC_KEY_BYTES, emptyOrBytesField, emptyOrExact, publicKeyField, requestIdField, signedField } from './fields.ts';
import type { ConsoleCommand } from './requests.ts';

export const BOARD_NAME_MAX_BYTES = 32;
export const FIRMWARE_VERSION_MAX_BYTES = 16;
export const FAULT_TEXT_MAX_BYTES = 64;
export const STATUS_FAULTS_MAX = 4;
export const LOG_ENTRIES_MAX = 8;
export const LOG_TEXT_MAX_BYTES = 64;
export const SELF_TEST_RESULTS_MAX = 8;
export const SELF_TEST_DETAIL_MAX_BYTES = 48;
export const ERROR_REASON_MAX_BYTES = 96;

/** Enums travel as their index in these lists. */
export const PROVISIONING_STATES = ['blank', 'provisioned', 'refused'] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];
export const LOG_LEVELS = ['info', 'warning', 'fault'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const SELF_TEST_PARTS = ['contactor', 'pilot', 'meter', 'nfc', 'secure-element'] as const;
export type SelfTestPart = (typeof SELF_TEST_PARTS)[number];
export const SELF_TEST_OUTCOMES = ['pass', 'fail', 'skipped'] as const;
export type SelfTestOutcome = (typeof SELF_TEST_OUTCOMES)[number];
export const CONSOLE_ERROR_CODES = ['bad-frame', 'bad-crc', 'oversized', 'malformed', 'unsupported-version', 'unknown-command', 'unauthorized', 'refused', 'busy', 'device'] as const;
export type ConsoleErrorCode = (typeof CONSOLE_ERROR_CODES)[number];

export type IdentifyAnswer = {
  requestId: number;
  board: string;
  firmwareVersion: string;
  /** 0 = no configuration yet. */
  configVersion: number;
  /** Empty until provisioned. */
  pileId: Uint8Array;
  /** Empty while the key store holds no key. */
  pilePublicKey: Uint8Array;
  provisioning: ProvisioningState;
  state: PileState;
  /** '' = none. */
  fault: string;
  challenge: Uint8Array;
  clockS: number;
};
export type CreateKeyAnswer = { requestId: number; pilePublicKey: Uint8Array };
export type ProvisionAnswer = { requestId: number; pileId: Uint8Array; configVersion: number };
export type ReadProvisioningAnswer = { requestId: number; pileId: Uint8Array; relayPublicKey: Uint8Array; pilePublicKey: Uint8Array; pileUpdate: Uint8Array; firstBillingSeq: number };
export type StatusFault = { atS: number; text: string };
export type StatusAnswer = {
  requestId: number;
  uptimeS: number;
  journalUsedBytes: number;
  journalTotalBytes: number;
  /** Billing records the relay has not acknowledged. */
  unacknowledged: number;
  outboxCount: number;
  meterSerial: number;
  meterEnergyWh: number;
  state: PileState;
  /** Newest last. */
  faults: StatusFault[];
};
export type LogEntry = { seq: number; atS: number; level: LogLevel; text: string };
export type LogsAnswer = { requestId: number; entries: LogEntry[]; remaining: number };
export type SelfTestResult = { part: SelfTestPart; outcome: SelfTestOutcome; detail: string };
export type SelfTestAnswer = { requestId: number; results: SelfTestResult[] };
export type SetClockAnswer = { requestId: number; previousAtS: number; atS: number };
export type FactoryResetAnswer = { requestId: number };
export type ConsoleError = { requestId: number; code: ConsoleErrorCode; reason: string };

export type ConsoleAnswerMap = {
  Identify: IdentifyAnswer;
  CreateKey: CreateKeyAnswer;
  Provision: ProvisionAnswer;
  ReadProvisioning: ReadProvisioningAnswer;
  Status: StatusAnswer;
  Logs: LogsAnswer;
  SelfTest: SelfTestAnswer;
  SetClock: SetClockAnswer;
  FactoryReset: FactoryResetAnswer;
};

const maxBytes = CONSOLE_BODY_MAX_BYTES;
const requestId = requestIdField(1);
const text = (key: number, max: number) => ({ kind: 'text', key, maxBytes: max }) as const;

export const answerCodecs: { readonly [C in ConsoleCommand]: MessageCodec<ConsoleAnswerMap[C]> } = Object.freeze({
  Identify: defineMessage<IdentifyAnswer>({
    type: 96,
    name: 'IdentifyAnswer',
    fields: {
      requestId,
      board: text(3, BOARD_NAME_MAX_BYTES),
      firmwareVersion: text(4, FIRMWARE_VERSION_MAX_BYTES),
      configVersion: u32Field(5),
      pileId: emptyOrBytesField(6, ID_BYTES),
      pilePublicKey: emptyOrBytesField(7, PUBLIC_KEY_BYTES),
      provisioning: { kind: 'enum', key: 8, names: PROVISIONING_STATES },
      state: stateField(9),
      fault: text(10, FAULT_TEXT_MAX_BYTES),
      challenge: { kind: 'bytes', key: 11, minLength: CONSOLE_CHALLENGE_BYTES, maxLength: CONSOLE_CHALLENGE_BYTES },
      clockS: atSField(12),
    },
    check: (m) => emptyOrExact('pileId', m.pileId, ID_BYTES) ?? emptyOrExact('pilePublicKey', m.pilePublicKey, PUBLIC_KEY_BYTES),
    maxBytes,
  }),
  CreateKey: defineMessage<CreateKeyAnswer>({ type: 97, name: 'CreateKeyAnswer', fields: { requestId, pilePublicKey: publicKeyField(3) }, maxBytes }),
  Provision: defineMessage<ProvisionAnswer>({ type: 98, name: 'ProvisionAnswer', fields: { requestId, pileId: idField(3), configVersion: u32Field(4, 1) }, maxBytes }),
  ReadProvisioning: defineMessage<ReadProvisioningAnswer>({
    type: 99,
    name: 'ReadProvisioningAnswer',
    fields: { requestId, pileId: idField(3), relayPublicKey: publicKeyField(4), pilePublicKey: publicKeyField(5), pileUpdate: signedField(6), firstBillingSeq: u32Field(7, 1) },
    maxBytes,
  }),
  Status: defineMessage<StatusAnswer>({
    type: 100,
    name: 'StatusAnswer',
    fields: {
      requestId,
      uptimeS: u32Field(3),
      journalUsedBytes: u32Field(4),
      journalTotalBytes: u32Field(5),
      unacknowledged: u32Field(6),
      outboxCount: u32Field(7),
      meterSerial: u32Field(8),
      meterEnergyWh: registerField(9),
      state: stateField(10),
      faults: { kind: 'list', key: 11, minItems: 0, maxItems: STATUS_FAULTS_MAX, fields: { atS: atSField(0), text: text(1, FAULT_TEXT_MAX_BYTES) } },
    },
    maxBytes,
  }),
  Logs: defineMessage<LogsAnswer>({
    type: 101,
    name: 'LogsAnswer',
    fields: {
      requestId,
      entries: {
        kind: 'list',
        key: 3,
        minItems: 0,
        maxItems: LOG_ENTRIES_MAX,
        fields: { seq: u32Field(0), atS: atSField(1), level: { kind: 'enum', key: 2, names: LOG_LEVELS }, text: text(3, LOG_TEXT_MAX_BYTES) },
      },
      remaining: u32Field(4),
    },
    maxBytes,
  }),
  SelfTest: defineMessage<SelfTestAnswer>({
    type: 102,
    name: 'SelfTestAnswer',
    fields: {
      requestId,
      results: {
        kind: 'list',
        key: 3,
        minItems: 0,
        maxItems: SELF_TEST_RESULTS_MAX,
        fields: { part: { kind: 'enum', key: 0, names: SELF_TEST_PARTS }, outcome: { kind: 'enum', key: 1, names: SELF_TEST_OUTCOMES }, detail: text(2, SELF_TEST_DETAIL_MAX_BYTES) },
      },
    },
    maxBytes,
  }),
  SetClock: defineMessage<SetClockAnswer>({ type: 103, name: 'SetClockAnswer', fields: { requestId, previousAtS: atSField(3), atS: atSField(4) }, maxBytes }),
  FactoryReset: defineMessage<FactoryResetAnswer>({ type: 104, name: 'FactoryResetAnswer', fields: { requestId }, maxBytes }),
});

export const ConsoleErrorCodec: MessageCodec<ConsoleError> = defineMessage<ConsoleError>({
  type: 127,
  name: 'ConsoleError',
  fields: { requestId: requestIdField(0), code: { kind: 'enum', key: 3, names: CONSOLE_ERROR_CODES }, reason: text(4, ERROR_REASON_MAX_BYTES) },
  maxBytes,
});

/** Answer type number → command. */
export const answerCommands: ReadonlyMap<number, ConsoleCommand> = new Map(Object.entries(answerCodecs).map(([command, codec]) => [codec.type, command as ConsoleCommand]));
