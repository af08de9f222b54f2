// The tapcharge NFC application's APDU vocabulary (design §6): the pile is the ISO-DEP card, the
// phone the reader. ISO/IEC 7816-4 short APDUs only (Lc ≤ 255, Le ≤ 256); long commands are sent
// as a chain (CLA bit 0x10 on every part but the last, §5.3.3), long answers come back in parts
// announced by SW 61xx and fetched with GET RESPONSE (§7.6.1). Shared by firmware/nfc (card side)
// and tools/phone (reader side); the protocol is described in firmware/nfc/README.md.
import { encodeCbor } from './cbor-encode.ts';
import { decodeCbor } from './cbor-decode.ts';
import { type CborValue, CBOR_MAX_BYTES } from './cbor-value.ts';
import { type Result, fail, ok } from './result.ts';

/** Proprietary AID (ISO 7816-5 category F): F0 ‖ "TAPCHG1". */
export const TAPCHARGE_AID = Object.freeze([0xf0, 0x54, 0x41, 0x50, 0x43, 0x48, 0x47, 0x31]);

export const CLA_ISO = 0x00;
export const CLA_PROPRIETARY = 0x80;
/** ISO 7816-4 §5.4.1: b5 of CLA set = "not the last command of a chain". */
export const CLA_CHAINING_BIT = 0x10;

export const INS = Object.freeze({
  select: 0xa4,
  getResponse: 0xc0,
  hello: 0x10,
  update: 0x12,
  start: 0x14,
  stop: 0x16,
  outbox: 0x18,
  ack: 0x1a,
});

/** Status words (ISO 7816-4 §5.6) and what the tapcharge card means by each. */
export const SW = Object.freeze({
  ok: 0x9000,
  /** 61xx: xx more bytes wait for GET RESPONSE (00 = 256 or more). */
  moreDataBase: 0x6100,
  wrongLength: 0x6700,
  /** A chain was broken: a part came after a different command, or GET RESPONSE had nothing. */
  chainBroken: 0x6883,
  /** Signature does not verify with the expected key, or the signer is not allowed. */
  securityNotSatisfied: 0x6982,
  /** Authentic but unusable: its nonce already used, for another pile, config not newer. */
  referenceNotUsable: 0x6984,
  /** The pile's state does not allow it (no vehicle, busy, no such session, not provisioned). */
  conditionsNotSatisfied: 0x6985,
  /** No application selected in this tap. */
  notAllowed: 0x6986,
  /** Malformed data: CBOR/COSE/message decoding failed, or wrong message type. */
  wrongData: 0x6a80,
  appNotFound: 0x6a82,
  /** The journal has no room for a new contract. */
  memoryFull: 0x6a84,
  wrongP1P2: 0x6a86,
  /** The nonce a START or STOP carries is not one the pile holds: never issued, pushed out by later taps, or forgotten in a restart. */
  referenceNotFound: 0x6a88,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
  /** A device fault inside the pile (flash, meter); nothing changed. */
  deviceFault: 0x6f00,
  // Proprietary: ISO 7816-4 §5.6 leaves '9XXX' (but 9000) to the application, for what no
  // interindustry status word says.
  /** The nonce a START or STOP carries is older than its lifetime on the pile's clock (contracts-offline/voucher-lifetime.ts). */
  nonceExpired: 0x9a01,
  /** START: the voucher is for another tariff version than the one the pile applies. */
  tariffChanged: 0x9a02,
});

export const SHORT_LC_MAX = 255;
export const SHORT_LE_MAX = 256;
/**
 * The longest command APDU a reader sends: a short APDU, 4 header bytes + Lc + 255 data bytes + Le
 * (ISO 7816-4 §5.1) = 261. It is Android's default IsoDep transceive limit (design §6); longer
 * data goes by command chaining.
 */
export const COMMAND_APDU_MAX_BYTES = 4 + 1 + SHORT_LC_MAX + 1;

export type CommandApdu = { cla: number; ins: number; p1: number; p2: number; data: Uint8Array; le: number | undefined };

/** Encodes a short command APDU (cases 1–4). `le` 1..256 (256 is coded 00). */
export function encodeCommandApdu(command: CommandApdu): Uint8Array {
  const { cla, ins, p1, p2, data, le } = command;
  for (const [name, value] of [['cla', cla], ['ins', ins], ['p1', p1], ['p2', p2]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`apdu: "${name}" expected a byte, got ${value}`);
  }
  if (!(data instanceof Uint8Array)) throw new TypeError('apdu: "data" expected a Uint8Array');
  if (data.length > SHORT_LC_MAX) throw new RangeError(`apdu: "data" expected at most ${SHORT_LC_MAX} bytes, got ${data.length}`);
  if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > SHORT_LE_MAX)) throw new RangeError(`apdu: "le" expected 1..${SHORT_LE_MAX}, got ${le}`);
  const out = new Uint8Array(4 + (data.length > 0 ? 1 + data.length : 0) + (le === undefined ? 0 : 1));
  out.set([cla, ins, p1, p2]);
  let at = 4;
  if (data.length > 0) {
    out[at++] = data.length;
    out.set(data, at);
    at += data.length;
  }
  if (le !== undefined) out[at] = le & 0xff;
  return out;
}

/** Parses untrusted bytes as a short command APDU (ISO 7816-3 §12.1 cases 1, 2S, 3S, 4S). */
export function parseCommandApdu(bytes: Uint8Array): Result<CommandApdu> {
  if (!(bytes instanceof Uint8Array) || bytes.length < 4) return fail('malformed', 'apdu: command shorter than 4 bytes');
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  const header = { cla, ins, p1, p2 };
  if (bytes.length === 4) return ok({ ...header, data: new Uint8Array(0), le: undefined });
  const b5 = bytes[4]!;
  if (bytes.length === 5) return ok({ ...header, data: new Uint8Array(0), le: b5 === 0 ? 256 : b5 });
  if (b5 === 0) return fail('malformed', 'apdu: extended length is not supported');
  if (bytes.length === 5 + b5) return ok({ ...header, data: bytes.slice(5), le: undefined });
  if (bytes.length === 6 + b5) {
    const le = bytes[5 + b5]!;
    return ok({ ...header, data: bytes.slice(5, 5 + b5), le: le === 0 ? 256 : le });
  }
  return fail('malformed', `apdu: Lc ${b5} does not match the ${bytes.length - 5} bytes after the header`);
}

/** Response APDU: data ‖ SW1 SW2. */
export function encodeResponseApdu(data: Uint8Array, sw: number): Uint8Array {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new RangeError(`apdu: "sw" expected 0..0xffff, got ${sw}`);
  if (data.length > SHORT_LE_MAX) throw new RangeError(`apdu: response data expected at most ${SHORT_LE_MAX} bytes, got ${data.length}`);
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

export type ResponseApdu = { data: Uint8Array; sw: number };

export function parseResponseApdu(bytes: Uint8Array): Result<ResponseApdu> {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) return fail('malformed', 'apdu: response shorter than 2 bytes');
  if (bytes.length > SHORT_LE_MAX + 2) return fail('malformed', `apdu: response of ${bytes.length} bytes exceeds ${SHORT_LE_MAX + 2}`);
  const n = bytes.length - 2;
  return ok({ data: bytes.slice(0, n), sw: (bytes[n]! << 8) | bytes[n + 1]! });
}

/** Splits a long command into a chain of short APDUs (all but the last carry CLA | 0x10). */
export function chainCommand(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, partBytes = SHORT_LC_MAX): Uint8Array[] {
  if (!Number.isInteger(partBytes) || partBytes < 1 || partBytes > SHORT_LC_MAX) throw new RangeError(`apdu: "partBytes" expected 1..${SHORT_LC_MAX}, got ${partBytes}`);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < data.length || parts.length === 0; at += partBytes) {
    const last = at + partBytes >= data.length;
    const piece = data.subarray(at, Math.min(data.length, at + partBytes));
    parts.push(encodeCommandApdu({ cla: last ? cla : cla | CLA_CHAINING_BIT, ins, p1, p2, data: piece, le: last ? SHORT_LE_MAX : undefined }));
  }
  return parts;
}

export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

// ── Command builders and the payloads that are not signed messages (firmware/nfc/README.md) ──

/** The card joins a command chain of at most this many data bytes (else 6700). */
export const CHAIN_MAX_BYTES = 1024;
/** OUTBOX answers at most this many records per command. */
export const OUTBOX_MAX_RECORDS = 4;
/** The largest OUTBOX answer: 4 records of at most 512 bytes (3-byte heads), two array heads, a 5-byte count. */
const OUTBOX_ANSWER_MAX_BYTES = OUTBOX_MAX_RECORDS * (CBOR_MAX_BYTES + 3) + 7;

/** `00 A4 04 00 08 <AID> 00`: SELECT the tapcharge application by name. */
export function selectCommand(): Uint8Array {
  return encodeCommandApdu({ cla: CLA_ISO, ins: INS.select, p1: 0x04, p2: 0x00, data: Uint8Array.from(TAPCHARGE_AID), le: SHORT_LE_MAX });
}

/** `00 C0 00 00 Le`: the next part of a long answer. */
export function getResponseCommand(le: number): Uint8Array {
  return encodeCommandApdu({ cla: CLA_ISO, ins: INS.getResponse, p1: 0, p2: 0, data: new Uint8Array(0), le });
}

function uintBigEndian(value: number, byteLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  for (let i = byteLength - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

function readUintBigEndian(bytes: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < bytes.length; i++) value = value * 256 + bytes[i]!;
  return value;
}

/** OUTBOX data: the 4-byte big-endian sequence `after` (0 = from the oldest). */
export function encodeOutboxRequest(afterSeq: number): Uint8Array {
  if (!Number.isInteger(afterSeq) || afterSeq < 0 || afterSeq > 0xffff_ffff) throw new RangeError(`apdu: "afterSeq" expected 0..2^32-1, got ${afterSeq}`);
  return uintBigEndian(afterSeq, 4);
}

export function parseOutboxRequest(data: Uint8Array): Result<number> {
  if (data.length !== 4) return fail('malformed', `apdu: OUTBOX data expected 4 bytes, got ${data.length}`);
  return ok(readUintBigEndian(data));
}

/** ACK answer: 2-byte big-endian count of records still unacknowledged (65535 means that many or more). */
export function encodeAckAnswer(unacknowledged: number): Uint8Array {
  if (!Number.isInteger(unacknowledged) || unacknowledged < 0) throw new RangeError(`apdu: "unacknowledged" expected an integer ≥ 0, got ${unacknowledged}`);
  return uintBigEndian(Math.min(unacknowledged, 0xffff), 2);
}

export function parseAckAnswer(data: Uint8Array): Result<number> {
  if (data.length !== 2) return fail('malformed', `apdu: ACK answer expected 2 bytes, got ${data.length}`);
  return ok(readUintBigEndian(data));
}

export type OutboxAnswer = { records: Uint8Array[]; remaining: number };

/** OUTBOX answer: deterministic CBOR `[[record bstr…], remaining]`, records oldest first. */
export function encodeOutboxAnswer(answer: OutboxAnswer): Uint8Array {
  const { records, remaining } = answer;
  if (records.length > OUTBOX_MAX_RECORDS) throw new RangeError(`apdu: "records" expected at most ${OUTBOX_MAX_RECORDS}, got ${records.length}`);
  if (!Number.isInteger(remaining) || remaining < 0 || remaining > 0xffff_ffff) throw new RangeError(`apdu: "remaining" expected 0..2^32-1, got ${remaining}`);
  for (const record of records) {
    if (!(record instanceof Uint8Array) || record.length > CBOR_MAX_BYTES) throw new RangeError(`apdu: an outbox record expected a Uint8Array of at most ${CBOR_MAX_BYTES} bytes`);
  }
  return encodeCbor([records, remaining]);
}

/** Strict: exactly the shape `encodeOutboxAnswer` writes, canonical heads, no trailing bytes. Never throws. */
export function parseOutboxAnswer(data: Uint8Array): Result<OutboxAnswer> {
  const bad = fail('malformed', 'apdu: OUTBOX answer is not [[record…], remaining] in deterministic CBOR');
  const decoded = decodeCbor(data, { maxBytes: OUTBOX_ANSWER_MAX_BYTES });
  if (!decoded.ok || !Array.isArray(decoded.value) || decoded.value.length !== 2) return bad;
  const [records, remaining] = decoded.value;
  if (!isByteStringList(records, OUTBOX_MAX_RECORDS) || typeof remaining !== 'number' || remaining < 0 || remaining > 0xffff_ffff) return bad;
  return ok({ records, remaining });
}

function isByteStringList(value: CborValue | undefined, maxItems: number): value is Uint8Array[] {
  return Array.isArray(value) && value.length <= maxItems && value.every((item) => item instanceof Uint8Array);
}

export type StopData = { signedStopRequest: Uint8Array; userPublicKey: Uint8Array | undefined };

/** STOP data: CBOR `[StopRequest COSE, userPublicKey]` (user-signed) or `[StopRequest COSE]` (relay-signed). */
export function encodeStopData(stop: StopData): Uint8Array {
  const { signedStopRequest, userPublicKey } = stop;
  if (!(signedStopRequest instanceof Uint8Array)) throw new TypeError('apdu: "signedStopRequest" expected a Uint8Array');
  if (userPublicKey !== undefined && (!(userPublicKey instanceof Uint8Array) || userPublicKey.length !== 32)) {
    throw new RangeError(`apdu: "userPublicKey" expected 32 bytes, got ${userPublicKey instanceof Uint8Array ? userPublicKey.length : typeof userPublicKey}`);
  }
  return encodeCbor(userPublicKey ? [signedStopRequest, userPublicKey] : [signedStopRequest]);
}

/** Strict: an array of 1 or 2 byte strings, the second exactly 32 bytes. Never throws. */
export function parseStopData(data: Uint8Array): Result<StopData> {
  const bad = fail('malformed', 'apdu: STOP data is not [StopRequest COSE] or [StopRequest COSE, 32-byte key] in deterministic CBOR');
  const decoded = decodeCbor(data, { maxBytes: CHAIN_MAX_BYTES });
  if (!decoded.ok || !isByteStringList(decoded.value, 2) || decoded.value.length < 1) return bad;
  const [signedStopRequest, userPublicKey] = decoded.value;
  if (userPublicKey !== undefined && userPublicKey.length !== 32) return bad;
  return ok({ signedStopRequest: signedStopRequest!, userPublicKey });
}
