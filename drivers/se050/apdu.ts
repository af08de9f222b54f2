// The SE050 IoT applet's command and response APDUs the driver uses, as NXP AN12413 "SE050 APDU
// Specification" defines them: CLA/INS/P1/P2, TLV tags, ECCurve, EDSignatureAlgo, Result, the error
// codes, and the commands Select applet, WriteECKey (key generation), ReadObject, CheckObjectExists
// and EdDSASign. AN12413 itself was not at hand: the values are those of NXP's Plug & Trust
// middleware, which implements it (se05x_enums.h, se05x_tlv.h, se05x_const.h, se05x_APDU_impl.h,
// se05x_tlv.c), and the Nitrokey se05x crate (src/se05x/commands.toml, constants) agrees with them.
// Command APDUs are ISO/IEC 7816-4 §5.1: short Lc/Le up to 255/256 bytes, extended beyond. TLV
// lengths (se05x_tlv.c): one byte below 0x80, 0x81 nn up to 0xFF, 0x82 nnnn.

/** The IoT applet's AID (Nitrokey se05x APP_ID; the NXP community SELECT example). */
export const IOT_APPLET_AID = Object.freeze([0xa0, 0x00, 0x00, 0x03, 0x96, 0x54, 0x53, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00] as const);

export const Cla = Object.freeze({ iso: 0x00, applet: 0x80 });
export const Ins = Object.freeze({ select: 0xa4, write: 0x01, read: 0x02, crypto: 0x03, mgmt: 0x04 });
export const P1 = Object.freeze({ selectByName: 0x04, default: 0x00, ec: 0x01, keyPair: 0x60, signature: 0x0c });
export const P2 = Object.freeze({ default: 0x00, sign: 0x09, exist: 0x27 });
export const Tag = Object.freeze({ tag1: 0x41, tag2: 0x42, tag3: 0x43 });
/** ECCurve ID_ECC_ED_25519 (preset in the applet: no CreateECCurve needed). */
export const CURVE_ID_ED25519 = 0x40;
/** EDSignatureAlgo SIG_ED25519PURE: PureEdDSA over Ed25519, SHA-512 inside (RFC 8032 §5.1). */
export const SIG_ED25519_PURE = 0xa3;
/** Result of CheckObjectExists. */
export const Result = Object.freeze({ success: 0x01, failure: 0x02 });

/** The EdDSA bit of the applet features in the SELECT answer (se05x_enums.h kSE05x_AppletConfig_EDDSA). */
export const APPLET_FEATURE_EDDSA = 0x0004;

/** Status words the applet answers (se05x_enums.h SE05x_SW12_t; ISO 7816-4 §5.6 for the generic ones). */
export const StatusWord = Object.freeze({
  ok: 0x9000,
  wrongLength: 0x6700,
  securityStatus: 0x6982,
  dataInvalid: 0x6984,
  conditionsNotSatisfied: 0x6985,
  commandNotAllowed: 0x6986,
  wrongData: 0x6a80,
  notFound: 0x6a82,
  wrongP1P2: 0x6a86,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
  noPreciseDiagnosis: 0x6f00,
});

const statusNames: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(StatusWord).map(([name, sw]) => [sw, name.replace(/[A-Z0-9]+/g, (w) => ` ${w.toLowerCase()}`)])),
);

export function describeStatus(sw: number): string {
  const text = sw.toString(16).padStart(4, '0');
  return statusNames[sw] ? `${text} (${statusNames[sw]})` : text;
}

/**
 * SE050 MAX_APDU_PAYLOAD_LENGTH: the most command data one APDU may carry, 892 bytes (1024 on the
 * SE051), as Plug & Trust's se05x_const.h quotes it from AN12413.
 */
export const MAX_COMMAND_DATA_BYTES = 892;

/**
 * The longest message EdDSASign takes: the command data is TLV 0x41 (4-byte key id, 6 bytes),
 * TLV 0x42 (algorithm, 3 bytes) and TLV 0x43 (0x82 + two length bytes once past 255: 4 bytes + the
 * message), so 892 − 13 = 879 bytes.
 */
export const MAX_SIGN_MESSAGE_BYTES = MAX_COMMAND_DATA_BYTES - 13;

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  if (n > 0xffff) throw new RangeError(`se050/apdu: TLV value expected at most 65535 bytes, got ${n}`);
  const head = n < 0x80 ? [tag, n] : n <= 0xff ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(value, head.length);
  return out;
}

/** The TLVs of `data` in order; undefined unless they fill it exactly. */
export function parseTlvs(data: Uint8Array): { tag: number; value: Uint8Array }[] | undefined {
  const out: { tag: number; value: Uint8Array }[] = [];
  for (let at = 0; at < data.length; ) {
    if (at + 2 > data.length) return undefined;
    const tag = data[at]!;
    let length = data[at + 1]!;
    at += 2;
    if (length === 0x81 || length === 0x82) {
      const extra = length - 0x80;
      if (at + extra > data.length) return undefined;
      length = extra === 1 ? data[at]! : (data[at]! << 8) | data[at + 1]!;
      at += extra;
    } else if (length > 0x7f) {
      return undefined;
    }
    if (at + length > data.length) return undefined;
    out.push({ tag, value: data.subarray(at, at + length) });
    at += length;
  }
  return out;
}

/** The value when `data` is exactly one TLV with `tag` (and `length` bytes, when given). */
export function onlyTlv(data: Uint8Array, tag: number, length?: number): Uint8Array | undefined {
  const tlvs = parseTlvs(data);
  if (!tlvs || tlvs.length !== 1 || tlvs[0]!.tag !== tag) return undefined;
  const { value } = tlvs[0]!;
  return length === undefined || value.length === length ? value : undefined;
}

/** ISO 7816-4 §5.1 command APDU; `expectsData` adds Le = maximum (00, or 0000 when extended). */
export function commandApdu(cla: number, ins: number, p1: number, p2: number, data: Uint8Array, expectsData: boolean): Uint8Array {
  const extended = data.length > 0xff;
  const lc = data.length === 0 ? [] : extended ? [0x00, data.length >> 8, data.length & 0xff] : [data.length];
  const le = !expectsData ? [] : extended ? [0x00, 0x00] : [0x00];
  const out = new Uint8Array(4 + lc.length + data.length + le.length);
  out.set([cla, ins, p1, p2, ...lc]);
  out.set(data, 4 + lc.length);
  out.set(le, 4 + lc.length + data.length);
  return out;
}

export type ResponseApdu = { data: Uint8Array; sw: number };

/** Data and status word; undefined for fewer than two bytes. */
export function parseResponse(bytes: Uint8Array): ResponseApdu | undefined {
  if (bytes.length < 2) return undefined;
  return { data: bytes.subarray(0, bytes.length - 2), sw: (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]! };
}

function objectIdTlv(objectId: number): Uint8Array {
  return tlv(Tag.tag1, Uint8Array.of(objectId >>> 24, (objectId >>> 16) & 0xff, (objectId >>> 8) & 0xff, objectId & 0xff));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, at), (at += part.length);
  return out;
}

export function selectIotApplet(): Uint8Array {
  return commandApdu(Cla.iso, Ins.select, P1.selectByName, P2.default, Uint8Array.from(IOT_APPLET_AID), true);
}

/** CheckObjectExists: answers TLV 0x41 = Result. */
export function checkObjectExists(objectId: number): Uint8Array {
  return commandApdu(Cla.applet, Ins.mgmt, P1.default, P2.exist, objectIdTlv(objectId), true);
}

/**
 * WriteECKey with P1 = EC | KEY_PAIR, the curve and no key values: the applet generates the key pair
 * inside. No policy TLV: the applet's default policy applies (see se050.ts).
 */
export function generateEd25519KeyPair(objectId: number): Uint8Array {
  return commandApdu(Cla.applet, Ins.write, P1.ec | P1.keyPair, P2.default, concat(objectIdTlv(objectId), tlv(Tag.tag2, Uint8Array.of(CURVE_ID_ED25519))), false);
}

/** ReadObject: for a key pair, TLV 0x41 = the public key (for Ed25519 32 bytes, byte-reversed). */
export function readObject(objectId: number): Uint8Array {
  return commandApdu(Cla.applet, Ins.read, P1.default, P2.default, objectIdTlv(objectId), true);
}

/**
 * EdDSASign, PureEdDSA: answers TLV 0x41 = the signature (R and S each byte-reversed). As Plug &
 * Trust does (TLVSET_u8bufOptional), an empty message sends no TLV 0x43.
 */
export function eddsaSign(objectId: number, message: Uint8Array): Uint8Array {
  const input = message.length > 0 ? tlv(Tag.tag3, message) : new Uint8Array(0);
  const data = concat(objectIdTlv(objectId), tlv(Tag.tag2, Uint8Array.of(SIG_ED25519_PURE)), input);
  return commandApdu(Cla.applet, Ins.crypto, P1.signature, P2.sign, data, true);
}

/** The SELECT answer: applet version (3 bytes), features (2), secure box version (2). */
export type AppletInfo = { version: string; features: number };

export function parseSelectAnswer(data: Uint8Array): AppletInfo | undefined {
  if (data.length !== 7) return undefined;
  return { version: `${data[0]}.${data[1]}.${data[2]}`, features: (data[3]! << 8) | data[4]! };
}

export function describeObjectId(objectId: number): string {
  return `0x${objectId.toString(16).padStart(8, '0')}`;
}
