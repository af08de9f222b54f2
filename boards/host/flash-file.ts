// The host board's `embedded:storage/flash` in the native build: each partition a file holding its
// raw image (flash-file.c: NOR programming, 0xFF erase, every operation on disk before it returns),
// so the journal outlives the process and a killed process is a power cut. Partitions are named
// and sized as in the board's partition table.
import type { FlashIo, FlashStorage } from '../../drivers/flash-partition/flash-partition.ts';

const openFile = native('xs_flash_file_open') as (path: string, byteLength: number) => number;
const readFile = native('xs_flash_file_read') as (fd: number, byteLength: number, byteOffset: number) => ArrayBuffer;
const programFile = native('xs_flash_file_program') as (fd: number, buffer: ArrayBuffer, byteOffset: number) => void;
const eraseFile = native('xs_flash_file_erase') as (fd: number, byteOffset: number, byteLength: number) => void;
const closeFile = native('xs_flash_file_close') as (fd: number) => void;

export type FlashFilePartition = Readonly<{ file: string; byteLength: number; blockLength: number }>;

export function flashFileStorage(partitions: Readonly<Record<string, FlashFilePartition>>): FlashStorage {
  return {
    open({ path, mode = 'r' }): FlashIo {
      const partition = partitions[path];
      if (!partition) throw new Error(`flash-file: no partition "${path}"`);
      const { file, byteLength, blockLength } = partition;
      let fd = openFile(file, byteLength);
      const writable = (): number => {
        if (fd < 0) throw new Error('flash-file: closed');
        if (mode !== 'r+') throw new Error(`flash-file: "${path}" is open read-only`);
        return fd;
      };
      return {
        read: (length, offset) => readFile(fd, length, offset),
        write: (buffer, offset) => programFile(writable(), buffer, offset),
        eraseBlock(start, end = start + 1) {
          if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > byteLength / blockLength || end <= start) {
            throw new RangeError(`flash-file: blocks ${start}..${end - 1} outside 0..${byteLength / blockLength - 1}`);
          }
          eraseFile(writable(), start * blockLength, (end - start) * blockLength);
        },
        status: () => ({ size: byteLength, blockLength, writeAlign: 1, eraseValue: 0xff }),
        close() {
          if (fd >= 0) closeFile(fd);
          fd = -1;
        },
      };
    },
  };
}
