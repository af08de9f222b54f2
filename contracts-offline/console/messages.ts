// The service console's messages as its two ends use them (firmware/console/README.md
// "Messages"): the pile decodes requests and encodes answers, the host tools the reverse. A body
// is one CBOR map of at most CONSOLE_BODY_MAX_BYTES; decoding never throws. The tables are in
// requests.ts and answers.ts; this module is the entry point.
import { decodeCbor } from '../cbor-decode.ts';
import type { CborValue } from '../cbor-value.ts';
import { type Failure, type Result, fail, ok } from '../result.ts';
import { MESSAGE_VERSION, type MessageCodec } from '../messages/schema.ts';
import { CONSOLE_BODY_MAX_BYTES } from './frame.ts';
import { REQUEST_ID_MAX } from './fields.ts';
import { type ConsoleCommand, type ConsoleRequestMap, requestCodecs, requestCommands } from './requests.ts';
import { type ConsoleAnswerMap, type ConsoleError, ConsoleErrorCodec, ERROR_REASON_MAX_BYTES, answerCommands, answerCodecs } from './answers.ts';

export { CONSOLE_COMMANDS, type ConsoleCommand, type ConsoleRequestMap } from './requests.ts';
export { CONSOLE_ERROR_CODES, type ConsoleAnswerMap, type ConsoleError, type ConsoleErrorCode } from './answers.ts';

const KEY_TYPE = 0;
const KEY_VERSION = 1;
const KEY_REQUEST_ID = 2;

export type ConsoleRequest = { [C in ConsoleCommand]: { command: C; request: ConsoleRequestMap[C] } }[ConsoleCommand];
export type ConsoleAnswer = { [C in ConsoleCommand]: { command: C; answer: ConsoleAnswerMap[C] } }[ConsoleCommand] | { command: 'Error'; error: ConsoleError };
export type ConsoleRequestRefusal = 'malformed' | 'unsupported-version' | 'unknown-command';
/** A refused request still names its request id (0 when it could not be read), for the Error answer. */
export type ConsoleRequestResult = { ok: true; value: ConsoleRequest } | (Failure<ConsoleRequestRefusal> & { requestId: number });

function isCommand(command: unknown): command is ConsoleCommand {
  return typeof command === 'string' && Object.prototype.hasOwnProperty.call(requestCodecs, command);
}

function expectCommand(command: unknown): asserts command is ConsoleCommand {
  if (!isCommand(command)) throw new TypeError(`console: unknown command ${JSON.stringify(command)}`);
}

/** Encodes a request; throws TypeError/RangeError naming the field on our own bad input. */
export function encodeConsoleRequest<C extends ConsoleCommand>(command: C, request: ConsoleRequestMap[C]): Uint8Array {
  expectCommand(command);
  return (requestCodecs[command] as MessageCodec<ConsoleRequestMap[C]>).encode(request);
}

/** Encodes an answer; throws TypeError/RangeError naming the field on our own bad input. */
export function encodeConsoleAnswer<C extends ConsoleCommand>(command: C, answer: ConsoleAnswerMap[C]): Uint8Array {
  expectCommand(command);
  return (answerCodecs[command] as MessageCodec<ConsoleAnswerMap[C]>).encode(answer);
}

/** Encodes the Error answer; a reason longer than 96 UTF-8 bytes is cut at a character boundary. */
export function encodeConsoleError(error: ConsoleError): Uint8Array {
  return ConsoleErrorCodec.encode({ ...error, reason: typeof error.reason === 'string' ? utf8Prefix(error.reason, ERROR_REASON_MAX_BYTES) : error.reason });
}

// At most `maxBytes` of UTF-8, whole characters; lone surrogates become U+FFFD.
function utf8Prefix(text: string, maxBytes: number): string {
  let out = '';
  let used = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    const lone = codePoint >= 0xd800 && codePoint <= 0xdfff;
    const size = lone ? 3 : codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (used + size > maxBytes) break;
    out += lone ? '\ufffd' : char;
    used += size;
  }
  return out;
}

const describe = (value: CborValue | undefined): string => (typeof value === 'number' ? String(value) : value === undefined ? 'none' : `a ${value instanceof Uint8Array ? 'byte string' : Array.isArray(value) ? 'list' : typeof value}`);

/** The pile's side: a request body, strictly. Never throws. */
export function decodeConsoleRequest(body: Uint8Array): ConsoleRequestResult {
  const refused = (code: ConsoleRequestRefusal, reason: string, requestId: number) => ({ ...fail(code, reason), requestId });
  const decoded = decodeCbor(body, { maxBytes: CONSOLE_BODY_MAX_BYTES });
  if (!decoded.ok) return refused('malformed', decoded.reason, 0);
  const map = decoded.value;
  if (!(map instanceof Map)) return refused('malformed', 'console: a request is a map', 0);
  const id = map.get(KEY_REQUEST_ID);
  const requestId = typeof id === 'number' && id >= 1 && id <= REQUEST_ID_MAX ? id : 0;
  const version = map.get(KEY_VERSION);
  if (version !== MESSAGE_VERSION) return refused('unsupported-version', `console: version ${describe(version)}, expected ${MESSAGE_VERSION}`, requestId);
  const type = map.get(KEY_TYPE);
  const command = typeof type === 'number' ? requestCommands.get(type) : undefined;
  if (command === undefined) return refused('unknown-command', `console: unknown request type ${describe(type)}`, requestId);
  const request = requestCodecs[command].decode(body);
  if (!request.ok) return refused('malformed', request.reason, requestId);
  return ok({ command, request: request.value } as ConsoleRequest);
}

/** The host's side: an answer body (one of the nine answers, or Error), strictly. Never throws. */
export function decodeConsoleAnswer(body: Uint8Array): Result<ConsoleAnswer> {
  const decoded = decodeCbor(body, { maxBytes: CONSOLE_BODY_MAX_BYTES });
  if (!decoded.ok) return decoded;
  const map = decoded.value;
  if (!(map instanceof Map)) return fail('malformed', 'console: an answer is a map');
  const type = map.get(KEY_TYPE);
  if (type === ConsoleErrorCodec.type) {
    const error = ConsoleErrorCodec.decode(body);
    return error.ok ? ok({ command: 'Error', error: error.value }) : error;
  }
  const command = typeof type === 'number' ? answerCommands.get(type) : undefined;
  if (command === undefined) return fail('malformed', `console: unknown answer type ${describe(type)}`);
  const answer = answerCodecs[command].decode(body);
  return answer.ok ? ok({ command, answer: answer.value } as ConsoleAnswer) : answer;
}
