// OCPP-J 1.6 frames (OCPP JSON Specification 1.6 §4): a WebSocket text message holding one JSON
// array — CALL [2, uniqueId, action, payload], CALLRESULT [3, uniqueId, payload], CALLERROR
// [4, uniqueId, errorCode, errorDescription, errorDetails] — and the error codes of §4.2.3
// Table 7, spelled as 1.6 spells them (the 1.6-J errata §5 keeps "FormationViolation" and
// "OccurenceConstraintViolation").
//
// `parseFrame` reads untrusted text and never throws. A refused frame carries the CALLERROR code
// to answer and, when it is a CALL whose uniqueId could be read, that id (`callId`): only then can
// it be answered. Replies and frames of other message types are never answered (§4.2.3: a
// CALLERROR answers a CALL).
import type { Failure } from '../../contracts-offline/result.ts';

export const OCPP_ERROR_CODES = [
  'NotImplemented', 'NotSupported', 'InternalError', 'ProtocolError', 'SecurityError', 'FormationViolation',
  'PropertyConstraintViolation', 'OccurenceConstraintViolation', 'TypeConstraintViolation', 'GenericError',
] as const;
export type OcppErrorCode = (typeof OCPP_ERROR_CODES)[number];

export const MessageType = { call: 2, callResult: 3, callError: 4 } as const;

/** Longest uniqueId (§4.1.4: "maximum of 36 characters"). */
export const UNIQUE_ID_MAX_CHARS = 36;
/**
 * Longest frame the pile reads, in UTF-16 code units. The central system's calls the pile takes
 * are small (ChangeConfiguration ≤ 550 characters of payload); a longer frame is refused unread.
 */
export const FRAME_MAX_CHARS = 8192;

/**
 * Deepest nesting of arrays and objects read (the frame's own array is level 1). JSON.parse
 * recurses per level, and a stack overflow in XS ends the whole machine rather than throwing, so
 * depth is checked before parsing; the messages the pile reads nest 3 levels at most.
 */
export const FRAME_MAX_DEPTH = 8;

/** A JSON object read from a frame: every field untrusted until a payload validator reads it. */
export type JsonObject = { readonly [field: string]: unknown };

export type CallFrame = { type: typeof MessageType.call; id: string; action: string; payload: JsonObject };
export type CallResultFrame = { type: typeof MessageType.callResult; id: string; payload: JsonObject };
export type CallErrorFrame = {
  type: typeof MessageType.callError;
  id: string;
  /** As the peer sent it: a central system may use a code outside Table 7 (e.g. a 2.x spelling). */
  errorCode: string;
  description: string;
  details: JsonObject;
};
export type Frame = CallFrame | CallResultFrame | CallErrorFrame;

export type FrameFailure = Failure<OcppErrorCode> & { callId: string | undefined };
export type FrameResult = { ok: true; value: Frame } | FrameFailure;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUniqueId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= UNIQUE_ID_MAX_CHARS;
}

/** `[2, "<id>"` at the start of a frame: the id of a CALL too long or too broken to parse. */
const callPrefix = /^\s*\[\s*2\s*,\s*"([^"\\]{1,36})"/;

function refused(code: OcppErrorCode, reason: string, callId?: string): FrameFailure {
  return { ok: false, code, reason, callId };
}

export function parseFrame(text: string, maxChars = FRAME_MAX_CHARS): FrameResult {
  if (text.length > maxChars) {
    return refused('FormationViolation', `frame of ${text.length} characters, at most ${maxChars}`, callPrefix.exec(text.slice(0, 64))?.[1]);
  }
  if (nestingDepth(text) > FRAME_MAX_DEPTH) {
    return refused('FormationViolation', `frame nested deeper than ${FRAME_MAX_DEPTH} levels`, callPrefix.exec(text)?.[1]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refused('FormationViolation', 'frame is not JSON', callPrefix.exec(text)?.[1]);
  }
  if (!Array.isArray(parsed)) return refused('FormationViolation', 'frame is not a JSON array');
  const [type, id] = parsed;
  if (type !== MessageType.call && type !== MessageType.callResult && type !== MessageType.callError) {
    return refused('FormationViolation', `unknown message type ${JSON.stringify(type)?.slice(0, 16)}`);
  }
  if (!isUniqueId(id)) return refused('FormationViolation', `uniqueId is not a string of 1..${UNIQUE_ID_MAX_CHARS} characters`);
  if (type === MessageType.call) return callFrame(parsed, id);
  if (type === MessageType.callResult) {
    if (parsed.length !== 3) return refused('FormationViolation', `CALLRESULT has ${parsed.length} elements, expected 3`);
    if (!isJsonObject(parsed[2])) return refused('FormationViolation', 'CALLRESULT payload is not an object');
    return { ok: true, value: { type, id, payload: parsed[2] } };
  }
  const [, , errorCode, description, details] = parsed;
  if (parsed.length !== 5) return refused('FormationViolation', `CALLERROR has ${parsed.length} elements, expected 5`);
  if (typeof errorCode !== 'string' || typeof description !== 'string' || !isJsonObject(details)) {
    return refused('FormationViolation', 'CALLERROR is not [4, id, code, description, details]');
  }
  return { ok: true, value: { type, id, errorCode, description, details } };
}

function callFrame(parsed: unknown[], id: string): FrameResult {
  const [, , action, payload] = parsed;
  if (parsed.length !== 4) return refused('FormationViolation', `CALL has ${parsed.length} elements, expected 4`, id);
  if (typeof action !== 'string' || action.length === 0) return refused('FormationViolation', 'CALL action is not a string', id);
  if (!isJsonObject(payload)) return refused('FormationViolation', 'CALL payload is not an object', id);
  return { ok: true, value: { type: MessageType.call, id, action, payload } };
}

/** The deepest `[`/`{` nesting outside JSON strings (a bracket inside a string does not count). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

export function encodeCall(id: string, action: string, payload: JsonObject): string {
  return JSON.stringify([MessageType.call, id, action, payload]);
}

export function encodeCallResult(id: string, payload: JsonObject): string {
  return JSON.stringify([MessageType.callResult, id, payload]);
}

export function encodeCallError(id: string, code: OcppErrorCode, description: string): string {
  return JSON.stringify([MessageType.callError, id, code, description, {}]);
}
