// CRC-16/X-25, the error detection code (EDC) closing every T=1 over I2C block.
// NXP UM11225 (SE05x T=1 over I2C) takes the CRC of ISO/IEC 13239 (the HDLC frame check sequence):
// preset 0xFFFF, reflected polynomial 0x8408 (x^16 + x^12 + x^5 + 1), final XOR 0xFFFF, computed over
// NAD, PCB, LEN and INF and sent low byte first. NXP's Plug & Trust middleware
// (phNxpEseProto7816_3.c, ComputeCRC) computes exactly this. Catalogue check value (CRC-16/X-25 over
// ASCII "123456789"): 0x906E.

/** The CRC step of each byte value (eight shift-and-XOR steps, done once at load). */
const byteSteps = new Uint16Array(256);
for (let value = 0; value < 256; value++) {
  let crc = value;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  byteSteps[value] = crc;
}

/** The CRC of `bytes[0..end)` as a 16-bit number (on the wire its low byte goes first). */
export function crc16X25(bytes: Uint8Array, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) crc = (crc >>> 8) ^ byteSteps[(crc ^ bytes[i]!) & 0xff]!;
  return crc ^ 0xffff;
}

/** Whether the last two bytes of `block` are the CRC of the bytes before them. */
export function crcMatches(block: Uint8Array): boolean {
  if (block.length < 3) return false;
  const crc = crc16X25(block, block.length - 2);
  return block[block.length - 2] === (crc & 0xff) && block[block.length - 1] === crc >>> 8;
}
