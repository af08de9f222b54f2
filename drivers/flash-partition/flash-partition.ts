// The journal's flash partition through ECMA-419 `embedded:storage/flash` (Moddable's ESP32 host:
// esp_partition_* on a data partition named in partitions.csv). SPI NOR as on the ESP32's flash
// (e.g. Winbond W25Q32JV, §8.2.14 Page Program, §8.2.15 Sector Erase 4 KB): programming only clears
// bits, erasing sets a whole 4 KiB sector back to 0xFF. The journal writes byte ranges anywhere,
// so the partition must take writes at any byte (writeAlign 1) and erase to 0xFF.

/** The part of an ECMA-419 flash storage instance this driver uses. */
export interface FlashIo {
  read(byteLength: number, byteOffset: number): ArrayBuffer;
  write(buffer: ArrayBuffer, byteOffset: number): void;
  eraseBlock(start: number, end?: number): void;
  status(): { size: number; blockLength: number; writeAlign?: number; eraseValue?: number };
  close(): void;
}
/** ECMA-419 `embedded:storage/flash` (its default export). */
export type FlashStorage = { open(options: { path: string; mode?: 'r' | 'r+' }): FlashIo };

export type FlashPartitionOptions = { storage: FlashStorage; path: string };

export class FlashPartitionError extends Error {
  override readonly name = 'FlashPartitionError';
  constructor(message: string) {
    super(`flash-partition: ${message}`);
  }
}

export class FlashPartition {
  readonly byteLength: number;
  readonly blockLength: number;
  readonly #io: FlashIo;

  constructor(options: FlashPartitionOptions) {
    this.#io = options.storage.open({ path: options.path, mode: 'r+' });
    const { size, blockLength, writeAlign, eraseValue } = this.#io.status();
    // Moddable's ESP32 host states neither (its SPI NOR takes any byte and erases to 0xFF).
    if (eraseValue !== undefined && eraseValue !== 0xff) throw new FlashPartitionError(`"${options.path}" erases to ${eraseValue}, the journal needs 0xFF (NOR)`);
    if (writeAlign !== undefined && writeAlign !== 1) throw new FlashPartitionError(`"${options.path}" takes writes aligned to ${writeAlign} bytes, the journal needs any byte`);
    if (size % blockLength !== 0) throw new FlashPartitionError(`"${options.path}" is ${size} bytes, not whole ${blockLength}-byte blocks`);
    this.byteLength = size;
    this.blockLength = blockLength;
  }

  read(byteLength: number, byteOffset: number): ArrayBuffer {
    this.#check(byteLength, byteOffset);
    return this.#io.read(byteLength, byteOffset);
  }

  write(buffer: ArrayBuffer | ArrayBufferView, byteOffset: number): void {
    const bytes = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).slice() : new Uint8Array(buffer);
    this.#check(bytes.byteLength, byteOffset);
    this.#io.write(bytes.buffer, byteOffset);
  }

  eraseBlock(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.byteLength / this.blockLength) {
      throw new RangeError(`flash-partition: block ${block} outside 0..${this.byteLength / this.blockLength - 1}`);
    }
    this.#io.eraseBlock(block);
  }

  close(): void {
    this.#io.close();
  }

  #check(byteLength: number, byteOffset: number): void {
    if (!Number.isInteger(byteLength) || !Number.isInteger(byteOffset) || byteLength < 0 || byteOffset < 0 || byteOffset + byteLength > this.byteLength) {
      throw new RangeError(`flash-partition: ${byteLength} bytes at ${byteOffset} outside the ${this.byteLength}-byte partition`);
    }
  }
}
