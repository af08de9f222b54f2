// The replay journal's framing: records round-trip, a torn tail (cut at any byte, or a bad CRC
// on the last frame) is cut off on open, corruption before the last frame fails loudly.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TxJournal } from '../../tools/ledger/journal.ts';
import { LedgerError } from '../../tools/ledger/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-journal-'));
const records = [
  { timestampS: 1_700_000_000n, raw: Uint8Array.from([0x02, 0xf8, 0x01]) },
  { timestampS: 1_700_000_005n, raw: new Uint8Array(300).fill(0x42) },
  { timestampS: 1_700_000_009n, raw: Uint8Array.from([7]) },
];

function written(name: string): string {
  const path = join(dir, name);
  const { journal } = TxJournal.open(path);
  for (const r of records) journal.append(r);
  journal.close();
  return path;
}

test('records round-trip with their timestamps; frame = 8-byte header + 8-byte timestamp + raw', () => {
  const path = written('a.bin');
  assert.is(statSync(path).size, records.reduce((n, r) => n + 16 + r.raw.length, 0));
  const { journal, records: back } = TxJournal.open(path);
  journal.close();
  assert.equal(back, records);
  assert.is(journal.tornBytes, 0);
});

test('a tail torn at every byte of the last frame is cut off and the earlier records survive', () => {
  const full = readFileSync(written('b.bin'));
  const lastStart = full.length - (16 + 1);
  for (let cut = lastStart + 1; cut < full.length; cut++) {
    const path = join(dir, `torn-${cut}.bin`);
    writeFileSync(path, full.subarray(0, cut));
    const { journal, records: back } = TxJournal.open(path);
    journal.close();
    assert.equal(back, records.slice(0, 2));
    assert.is(journal.tornBytes, cut - lastStart);
    assert.is(statSync(path).size, lastStart, 'the torn bytes are truncated so later appends follow a good frame');
  }
});

test('a bad CRC on the last frame is a torn tail; appends after reopening are read back', () => {
  const path = written('c.bin');
  const bytes = readFileSync(path);
  bytes[bytes.length - 1]! ^= 0xff;
  writeFileSync(path, bytes);
  const { journal, records: back } = TxJournal.open(path);
  assert.equal(back, records.slice(0, 2));
  journal.append(records[2]!);
  journal.close();
  const again = TxJournal.open(path);
  again.journal.close();
  assert.equal(again.records, records);
});

test('a bad CRC before the last frame is corruption: open fails and the file is left alone', () => {
  const path = written('d.bin');
  const bytes = readFileSync(path);
  bytes[18] = bytes[18]! ^ 0x01; // the first record's last raw byte
  writeFileSync(path, bytes);
  assert.throws(() => TxJournal.open(path), (e: unknown) => e instanceof LedgerError && /corrupt at byte 0: CRC mismatch/.test(e.message));
  assert.is(statSync(path).size, bytes.length);
});

test('an impossible frame length is corruption, not a torn tail', () => {
  const path = written('f.bin');
  const bytes = readFileSync(path);
  bytes[19] = 0x7f; // second frame's length: 2 GiB
  writeFileSync(path, bytes);
  assert.throws(() => TxJournal.open(path), (e: unknown) => e instanceof LedgerError && /corrupt at byte 19: frame length/.test(e.message));
  assert.is(statSync(path).size, bytes.length);
});

test('a zero-filled tail (file grown, data never written) is cut off as a torn tail', () => {
  const path = written('e.bin');
  appendFileSync(path, new Uint8Array(4096));
  const { journal, records: back } = TxJournal.open(path);
  journal.close();
  assert.equal(back, records);
  assert.is(journal.tornBytes, 4096);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
