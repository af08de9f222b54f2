// SIMULATION of ECMA-419 `embedded:storage/flash` on a simulated board: `open({ path })` answers
// the named partition, here a simulated NOR flash (hal/sim/nor-flash.ts, with its power cuts).
import type { Flash } from '../../types.ts';

export type FlashOpenOptions = { path: string; mode?: 'r' | 'r+' };

export function simulatedFlashStorage(partitions: Readonly<Record<string, Flash>>) {
  return {
    open(options: FlashOpenOptions) {
      const flash = partitions[options.path];
      if (!flash) throw new Error(`sim/flash: can't find partition "${options.path}"`);
      const readOnly = (options.mode ?? 'r') === 'r';
      let open = true;
      const check = (writing: boolean): void => {
        if (!open) throw new Error('sim/flash: closed');
        if (writing && readOnly) throw new Error('sim/flash: read-only');
      };
      return {
        read(byteLength: number, byteOffset: number): ArrayBuffer {
          check(false);
          return flash.read(byteLength, byteOffset);
        },
        write(buffer: ArrayBuffer, byteOffset: number): void {
          check(true);
          flash.write(buffer, byteOffset);
        },
        eraseBlock(start: number, end = start + 1): void {
          check(true);
          for (let block = start; block < end; block++) flash.eraseBlock(block);
        },
        status() {
          check(false);
          return { size: flash.byteLength, blockLength: flash.blockLength, blocks: flash.byteLength / flash.blockLength, writeAlign: 1, eraseValue: 0xff };
        },
        close(): void {
          open = false;
        },
        get format(): 'buffer' {
          return 'buffer';
        },
      };
    },
  };
}
