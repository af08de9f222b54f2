// The journal's partition through ECMA-419 flash storage: sizes from status(), NOR behaviour
// passed through, bounds checked, and partitions the journal cannot use refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlashPartition, FlashPartitionError } from '../../drivers/flash-partition/flash-partition.ts';
import { simulatedFlashStorage } from '../../hal/sim/io/flash-storage.ts';
import { NorFlashSim } from '../../hal/sim/nor-flash.ts';

const storage = () => simulatedFlashStorage({ journal: new NorFlashSim({ byteLength: 16 * 1024, blockLength: 4096 }) });

test('sizes come from the partition; writes AND into erased bytes; erase restores 0xFF', () => {
  const flash = new FlashPartition({ storage: storage(), path: 'journal' });
  assert.equal([flash.byteLength, flash.blockLength], [16 * 1024, 4096]);
  flash.write(Uint8Array.of(0xf0, 0x0f), 10);
  flash.write(new Uint8Array([0, 0x3c, 0xff]).subarray(1), 10);
  assert.equal([...new Uint8Array(flash.read(3, 9))], [0xff, 0x30, 0x0f]);
  flash.eraseBlock(0);
  assert.equal([...new Uint8Array(flash.read(2, 10))], [0xff, 0xff]);
});

test('out-of-range reads, writes and erases throw RangeError', () => {
  const flash = new FlashPartition({ storage: storage(), path: 'journal' });
  assert.throws(() => flash.read(2, 16 * 1024 - 1), RangeError);
  assert.throws(() => flash.write(new Uint8Array(1), -1), RangeError);
  assert.throws(() => flash.eraseBlock(4), /block 4 outside 0..3/);
});

test('a partition that is missing, erases to 0x00 or wants aligned writes is refused', () => {
  assert.throws(() => new FlashPartition({ storage: storage(), path: 'nvs' }), /can't find partition "nvs"/);
  const unlike = (status: { writeAlign?: number; eraseValue?: number }) => ({
    open: () => ({ ...storage().open({ path: 'journal' }), status: () => ({ size: 4096, blockLength: 4096, ...status }) }),
  });
  assert.throws(() => new FlashPartition({ storage: unlike({ eraseValue: 0 }), path: 'journal' }), (e: unknown) => e instanceof FlashPartitionError && /erases to 0/.test(e.message));
  assert.throws(() => new FlashPartition({ storage: unlike({ writeAlign: 4 }), path: 'journal' }), /aligned to 4 bytes/);
  assert.is(new FlashPartition({ storage: unlike({}), path: 'journal' }).byteLength, 4096, 'ESP32 status() states neither');
});

test.run();
