import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NorFlashSim, PowerCutError } from '../../../hal/sim/nor-flash.ts';

const bytesAt = (flash: NorFlashSim, offset: number, length: number) => [...new Uint8Array(flash.read(length, offset))];

test('a new part reads erased (0xFF) everywhere; geometry as configured', () => {
  const flash = new NorFlashSim({ byteLength: 8192, blockLength: 4096 });
  assert.is(flash.byteLength, 8192);
  assert.is(flash.blockLength, 4096);
  assert.ok(new Uint8Array(flash.read(8192, 0)).every((b) => b === 0xff));
});

test('program only clears bits: stored = old AND new', () => {
  const flash = new NorFlashSim({ byteLength: 4096 });
  flash.write(Uint8Array.of(0xf0, 0x0f, 0xaa), 10);
  assert.equal(bytesAt(flash, 10, 3), [0xf0, 0x0f, 0xaa]);
  flash.write(Uint8Array.of(0xff, 0xf0, 0x55), 10); // trying to set bits back changes nothing
  assert.equal(bytesAt(flash, 10, 3), [0xf0, 0x00, 0x00]);
});

test('write accepts an ArrayBuffer and a view into a larger buffer', () => {
  const flash = new NorFlashSim({ byteLength: 4096 });
  flash.write(Uint8Array.of(1, 2).buffer, 0);
  const big = Uint8Array.of(9, 8, 7, 6);
  flash.write(big.subarray(1, 3), 2);
  assert.equal(bytesAt(flash, 0, 4), [1, 2, 8, 7]);
});

test('erase sets exactly one whole block back to 0xFF', () => {
  const flash = new NorFlashSim({ byteLength: 3 * 4096 });
  flash.write(new Uint8Array(3 * 4096), 0);
  flash.eraseBlock(1);
  assert.ok(new Uint8Array(flash.read(4096, 4096)).every((b) => b === 0xff));
  assert.is(bytesAt(flash, 4095, 1)[0], 0);
  assert.is(bytesAt(flash, 8192, 1)[0], 0);
  assert.equal(flash.stats().erasesPerBlock, [0, 1, 0]);
});

test('out-of-range reads, writes and erases throw RangeError', () => {
  const flash = new NorFlashSim({ byteLength: 4096 });
  assert.throws(() => flash.read(2, 4095), (e: unknown) => e instanceof RangeError);
  assert.throws(() => flash.write(new Uint8Array(2), 4095), /outside the 4096-byte partition/);
  assert.throws(() => flash.eraseBlock(1), /expected an integer in 0\.\.0, got 1/);
  assert.throws(() => flash.read(1, -1), (e: unknown) => e instanceof RangeError);
  assert.throws(() => new NorFlashSim({ byteLength: 5000, blockLength: 4096 }), /multiple of 4096/);
});

test('power cut: the cut operation is torn, then every operation throws PowerCutError until reboot', () => {
  const flash = new NorFlashSim({ byteLength: 4096, seed: 7 });
  flash.write(Uint8Array.of(0x00), 0); // operation 0
  flash.cutPowerAt(1);
  const data = new Uint8Array(64); // all zero bits to program
  assert.throws(() => flash.write(data, 100), (e: unknown) => e instanceof PowerCutError);
  assert.is(flash.powered, false);
  assert.throws(() => flash.read(1, 0), (e: unknown) => e instanceof PowerCutError);
  assert.throws(() => flash.eraseBlock(0), (e: unknown) => e instanceof PowerCutError);
  flash.reboot();
  assert.is(flash.powered, true);
  assert.is(bytesAt(flash, 0, 1)[0], 0x00, 'earlier writes survive');
  const after = new Uint8Array(flash.read(64, 100));
  // Torn: a prefix programmed, at most one byte in between, the rest untouched.
  const firstErased = after.findIndex((b) => b === 0xff);
  if (firstErased >= 0) assert.ok(after.subarray(firstErased + 1).every((b) => b === 0xff));
  assert.ok(after.subarray(0, Math.max(0, firstErased - 1)).every((b) => b === 0x00));
});

test('over many seeds a torn program lands every amount from nothing to all of it, bits only cleared', () => {
  const landedCounts = new Set<number>();
  for (let seed = 1; seed <= 400; seed++) {
    const flash = new NorFlashSim({ byteLength: 4096, seed });
    flash.write(Uint8Array.of(0xf0, 0xf0, 0xf0, 0xf0), 0);
    flash.cutPowerAt(1);
    assert.throws(() => flash.write(Uint8Array.of(0x0f, 0x0f, 0x0f, 0x0f), 0), (e: unknown) => e instanceof PowerCutError);
    flash.reboot();
    const got = bytesAt(flash, 0, 4);
    for (const b of got) assert.ok((b & ~0xf0 & 0xff) === 0, 'no bit was set');
    landedCounts.add(got.filter((b) => b === 0x00).length);
  }
  assert.equal([...landedCounts].sort(), [0, 1, 2, 3, 4]);
});

test('tear modes: none leaves the old contents, all lands the whole operation', () => {
  const flash = new NorFlashSim({ byteLength: 8192 });
  flash.write(new Uint8Array(8192), 0);
  flash.cutPowerAt(1, 'none');
  assert.throws(() => flash.eraseBlock(1), (e: unknown) => e instanceof PowerCutError);
  flash.reboot();
  assert.ok(new Uint8Array(flash.read(4096, 4096)).every((b) => b === 0));
  flash.cutPowerAt(2, 'all');
  assert.throws(() => flash.eraseBlock(1), (e: unknown) => e instanceof PowerCutError);
  flash.reboot();
  assert.ok(new Uint8Array(flash.read(4096, 4096)).every((b) => b === 0xff));
});

test('a torn erase leaves an erased prefix and old data after it', () => {
  let sawPartial = false;
  for (let seed = 1; seed <= 50; seed++) {
    const flash = new NorFlashSim({ byteLength: 4096, seed });
    flash.write(new Uint8Array(4096), 0);
    flash.cutPowerAt(1);
    assert.throws(() => flash.eraseBlock(0), (e: unknown) => e instanceof PowerCutError);
    flash.reboot();
    const cells = new Uint8Array(flash.read(4096, 0));
    const firstOld = cells.findIndex((b) => b !== 0xff);
    if (firstOld > 0 && firstOld < 4095) sawPartial = true;
    if (firstOld >= 0) assert.ok(cells.subarray(firstOld + 1).every((b) => b === 0), 'after the edge: old data');
  }
  assert.ok(sawPartial);
});

test('operation counter counts programs and erases (not reads); a cut can be armed at any later index', () => {
  const flash = new NorFlashSim({ byteLength: 4096 });
  flash.read(4, 0);
  flash.write(Uint8Array.of(1), 0);
  flash.eraseBlock(0);
  assert.is(flash.operationCount, 2);
  assert.throws(() => flash.cutPowerAt(1), /expected an integer ≥ 2/);
  const s = flash.stats();
  assert.equal([s.reads, s.programs, s.erases, s.bytesProgrammed], [1, 1, 1, 1]);
});

test.run();
