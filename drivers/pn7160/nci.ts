// NCI packets as the NXP PN7160 exchanges them with its host: NFC Forum "NFC Controller Interface
// (NCI) Technical Specification" 2.0, "NCI Packet Formats" (common header: MT, PBF; control packets:
// GID, OID; data packets: Conn ID, CR) and "Segmentation and Reassembly". Over I2C a packet travels
// as is, with no framing and no checksum of its own (UM11495, as UM10936 §3.2 for the PN7150).

/** Message Type: the top three bits of octet 0. 4..7 are RFU. */
export const MessageType = Object.freeze({ data: 0, command: 1, response: 2, notification: 3 });
/** Packet Boundary Flag (octet 0, bit 4): set on every segment of a message but its last. */
export const pbfBit = 0x10;
export const headerLength = 3;
/** A packet's payload length is one octet. */
export const maxPayloadLength = 255;
/** The static RF connection: the data path of the activated RF interface. */
export const staticRfConnection = 0;

/** Group identifiers (octet 0, bits 0–3 of a control packet). */
export const Gid = Object.freeze({ core: 0x0, rf: 0x1, nfcee: 0x2, proprietary: 0xf });
/** Opcode identifiers (octet 1, bits 0–5) of the core group. */
export const CoreOid = Object.freeze({
  reset: 0x00, // CORE_RESET_CMD / _RSP / _NTF
  init: 0x01, // CORE_INIT_CMD / _RSP
  setConfig: 0x02, // CORE_SET_CONFIG_CMD / _RSP
  getConfig: 0x03, // CORE_GET_CONFIG_CMD / _RSP
  connCredits: 0x06, // CORE_CONN_CREDITS_NTF
  genericError: 0x07, // CORE_GENERIC_ERROR_NTF
  interfaceError: 0x08, // CORE_INTERFACE_ERROR_NTF
});
/** Opcode identifiers of the RF management group. */
export const RfOid = Object.freeze({
  discoverMap: 0x00, // RF_DISCOVER_MAP_CMD / _RSP
  setListenModeRouting: 0x01, // RF_SET_LISTEN_MODE_ROUTING_CMD / _RSP
  discover: 0x03, // RF_DISCOVER_CMD / _RSP
  intfActivated: 0x05, // RF_INTF_ACTIVATED_NTF
  deactivate: 0x06, // RF_DEACTIVATE_CMD / _RSP / _NTF
});

export type ControlType = 'command' | 'response' | 'notification';
export type ControlPacket = { kind: 'control'; type: ControlType; last: boolean; gid: number; oid: number; payload: Uint8Array };
/** `credits`: the CR field (octet 1, bits 0–1), credits the NFCC returns with the packet. */
export type DataPacket = { kind: 'data'; last: boolean; connId: number; credits: number; payload: Uint8Array };
export type Packet = ControlPacket | DataPacket;

const controlTypes: readonly (ControlType | undefined)[] = Object.freeze([undefined, 'command', 'response', 'notification']);

/** One unsegmented control packet. */
export function controlPacket(type: ControlType, gid: number, oid: number, payload: ArrayLike<number>): Uint8Array {
  if (payload.length > maxPayloadLength) throw new RangeError(`nci: control payload expected at most ${maxPayloadLength} bytes, got ${payload.length}`);
  const packet = new Uint8Array(headerLength + payload.length);
  packet[0] = (MessageType[type] << 5) | (gid & 0x0f);
  packet[1] = oid & 0x3f;
  packet[2] = payload.length;
  packet.set(payload, headerLength);
  return packet;
}

/** `message` on `connId`, cut into data packets of at most `maxPayload` bytes, PBF on all but the last. */
export function dataPackets(connId: number, message: Uint8Array, maxPayload: number): Uint8Array[] {
  if (!Number.isInteger(maxPayload) || maxPayload < 1 || maxPayload > maxPayloadLength) {
    throw new RangeError(`nci: "maxPayload" expected an integer in 1..${maxPayloadLength}, got ${maxPayload}`);
  }
  const packets: Uint8Array[] = [];
  let offset = 0;
  do {
    const length = Math.min(maxPayload, message.length - offset);
    const last = offset + length >= message.length;
    const packet = new Uint8Array(headerLength + length);
    packet[0] = (MessageType.data << 5) | (last ? 0 : pbfBit) | (connId & 0x0f);
    packet[2] = length;
    packet.set(message.subarray(offset, offset + length), headerLength);
    packets.push(packet);
    offset += length;
  } while (offset < message.length);
  return packets;
}

/** A whole packet as read from the controller, or why it is not one. RFU bits are ignored, as NCI asks of a receiver. */
export function decodePacket(bytes: Uint8Array): Packet | { error: string } {
  if (bytes.length < headerLength) return { error: `an NCI packet has a 3-byte header, got ${bytes.length} bytes` };
  if (bytes.length !== headerLength + bytes[2]!) return { error: `header announces ${bytes[2]} payload bytes, packet carries ${bytes.length - headerLength}` };
  const mt = bytes[0]! >> 5;
  const last = (bytes[0]! & pbfBit) === 0;
  const payload = bytes.slice(headerLength);
  if (mt === MessageType.data) return { kind: 'data', last, connId: bytes[0]! & 0x0f, credits: bytes[1]! & 0x03, payload };
  const type = controlTypes[mt];
  if (!type) return { error: `message type ${mt} is RFU (header ${hex(bytes.subarray(0, headerLength))})` };
  return { kind: 'control', type, last, gid: bytes[0]! & 0x0f, oid: bytes[1]! & 0x3f, payload };
}

export function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += (byte < 16 ? '0' : '') + byte.toString(16);
  return text;
}
