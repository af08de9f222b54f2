// The shape of a command APDU (ISO/IEC 7816-4 §5.1, "Command-response pairs"): a 4-byte header
// CLA INS P1 P2, then nothing (case 1), Le (case 2), Lc and data (case 3) or Lc, data and Le (case
// 4), in short form (one-byte Lc/Le) or extended form (a 0x00 byte, then two-byte Lc/Le). The
// driver hands the card application only commands of this shape.

/** The longest short command: header, Lc, 255 data bytes, Le (Android's default transceive limit too). */
export const maxShortCommandBytes = 4 + 1 + 255 + 1;
/** The longest response the card answers: 256 data bytes and SW1 SW2. */
export const maxShortResponseBytes = 256 + 2;

export function isCommandApdu(command: Uint8Array): boolean {
  const length = command.length;
  if (length <= 5) return length >= 4; // case 1, case 2 short
  const lc = command[4]!;
  if (lc !== 0) return length === 5 + lc || length === 6 + lc; // case 3 or 4, short
  if (length === 7) return true; // case 2 extended
  const extendedLc = (command[5]! << 8) | command[6]!;
  return extendedLc !== 0 && (length === 7 + extendedLc || length === 9 + extendedLc); // case 3 or 4, extended
}
