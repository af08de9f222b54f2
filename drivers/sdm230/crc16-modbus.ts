// CRC-16/MODBUS, the error check of every Modbus RTU frame.
// Modbus over Serial Line Specification and Implementation Guide V1.02, §6.2.2: preset 0xFFFF,
// reflected polynomial 0xA001 (x^16 + x^15 + x^2 + 1), sent low byte first. Catalogue check value
// (CRC-16/MODBUS over ASCII "123456789"): 0x4B37.

/** The CRC step of each byte value (§6.2.2's eight shift-and-XOR steps, done once at load: built with the module, in flash when preloaded). */
const byteSteps = new Uint16Array(256);
for (let value = 0; value < 256; value++) {
  let crc = value;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  byteSteps[value] = crc;
}

/** The CRC of `bytes` (as a 16-bit number; on the wire its low byte goes first). */
export function crc16Modbus(bytes: Uint8Array, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) crc = (crc >>> 8) ^ byteSteps[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** Whether the last two bytes of `frame` are the CRC of the bytes before them. */
export function crcMatches(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const crc = crc16Modbus(frame, frame.length - 2);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}
