// Modbus RTU frames for "Read Holding Registers" (function 03) and "Read Input Registers" (function
// 04), the only functions the driver uses. Modbus Application Protocol V1.1b3 §6.3 and §6.4
// (request: address, function, start, quantity; answer: address, function, byte count, register
// values high byte first) and §7 (exception: address, function | 0x80, code);
// Modbus over Serial Line V1.02 §2.5.1 (RTU frame = PDU between the address and the CRC).
import { crc16Modbus, crcMatches } from './crc16-modbus.ts';
import { FunctionCode } from './registers.ts';

const exceptionLength = 5;

/** `functionCode`: `FunctionCode.readHoldingRegisters` or `FunctionCode.readInputRegisters`. */
export function readRegistersRequest(functionCode: number, address: number, start: number, count: number): Uint8Array {
  const frame = new Uint8Array(8);
  frame[0] = address;
  frame[1] = functionCode;
  frame[2] = start >>> 8;
  frame[3] = start & 0xff;
  frame[4] = count >>> 8;
  frame[5] = count & 0xff;
  const crc = crc16Modbus(frame, 6);
  frame[6] = crc & 0xff;
  frame[7] = crc >>> 8;
  return frame;
}

/**
 * The length the answer to a `functionCode` read of `count` registers from `address` will have,
 * judged from the bytes received so far: undefined while too few are in to tell, -1 when they
 * cannot begin such an answer (noise, another station's frame).
 */
export function answerLength(head: Uint8Array, address: number, functionCode: number, count: number): number | undefined {
  if (head.length === 0) return undefined;
  if (head[0] !== address) return -1;
  if (head.length === 1) return undefined;
  if (head[1] === (functionCode | FunctionCode.exceptionFlag)) return exceptionLength;
  if (head[1] !== functionCode) return -1;
  if (head.length === 2) return undefined;
  return head[2] === count * 2 ? 3 + count * 2 + 2 : -1;
}

export type ReadAnswer =
  | { kind: 'registers'; data: Uint8Array }
  | { kind: 'exception'; code: number }
  | { kind: 'bad-crc' };

/** A complete answer frame (its length as `answerLength` said) taken apart. */
export function parseReadAnswer(frame: Uint8Array): ReadAnswer {
  if (!crcMatches(frame)) return { kind: 'bad-crc' };
  if (frame[1]! & FunctionCode.exceptionFlag) return { kind: 'exception', code: frame[2]! };
  return { kind: 'registers', data: frame.subarray(3, frame.length - 2) };
}
