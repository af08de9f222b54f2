// Wallet state and file (tools/phone/wallet-state.ts, wallet-file.ts): strict reading of an
// untrusted file, atomic 0600 writes, and the record bookkeeping (dedupe, ack pruning, cursor).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToBase64url, bytesToHex } from '../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import { encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { readCarriedRecord } from '../../tools/phone/carried-record.ts';
import { readWalletFile, writeWalletFile } from '../../tools/phone/wallet-file.ts';
import { WalletFileError } from '../../tools/phone/errors.ts';
import { holdRecords, noteAck, outboxCursor } from '../../tools/phone/wallet-records.ts';
import { newWalletState, parseWalletState } from '../../tools/phone/wallet-state.ts';

const pileKey = keyPairFromSecret(new Uint8Array(32).fill(7));
const user = keyPairFromSecret(new Uint8Array(32).fill(9));
const pileId = pileKey.kid;
const pileHex = bytesToHex(pileId);
const tariff = { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 0 };

function contract(seq: number, voucherId = new Uint8Array(8).fill(seq)): Uint8Array {
  return signMessage(encodeContract({ pileId, seq, userKid: user.kid, voucherId, limit: { mode: 'energy', energyWh: 5000 }, tariff, startMeterWh: 0, capMinor: 150, startAtS: 1_800_000_000 }), pileKey.secretKey);
}
function receipt(seq: number, contractSeq: number): Uint8Array {
  return signMessage(encodeReceipt({ pileId, contractSeq, seq, endReason: 'normal', endDetail: 1, energyWh: 5000, durationS: 2400, amountMinor: 150, endMeterWh: 5000, endAtS: 1_800_002_400 }), pileKey.secretKey);
}
const carried = (bytes: Uint8Array) => {
  const r = readCarriedRecord(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-wallet-'));
const fresh = () => newWalletState(bytesToHex(user.secretKey), 'Ada', 'http://127.0.0.1:8787');

test('a wallet written to a file reads back equal; the file is 0600 and replaced atomically', () => {
  const path = join(dir, 'w.json');
  const state = fresh();
  holdRecords(state, [carried(contract(1))]);
  writeWalletFile(path, state, { create: true });
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.equal(readWalletFile(path), state);
  assert.throws(() => writeWalletFile(path, state, { create: true }), (e: unknown) => e instanceof WalletFileError && /exists; pass --force/.test((e as Error).message));
  state.displayName = 'Bea';
  writeWalletFile(path, state);
  assert.is(readWalletFile(path).displayName, 'Bea');
  assert.is(statSync(path).mode & 0o777, 0o600);
});

const badWallets: [string, (w: Record<string, unknown>) => void, RegExp][] = [
  ['wrong format tag', (w) => { w.format = 'other'; }, /"format" expected one of tapcharge-wallet-v2/],
  ['short secret key', (w) => { w.secretKey = 'abcd'; }, /"secretKey" expected 32 bytes, got 2/],
  ['secret key not hex', (w) => { w.secretKey = 'zz'.repeat(32); }, /"secretKey" expected hex/],
  ['unknown field', (w) => { w.extra = 1; }, /"extra" is not a known field/],
  ['record that is not a signed message', (w) => { w.records = ['AAAA']; }, /"records\[0\]" is not a signed contract or receipt/],
  ['record not base64url', (w) => { w.records = ['a+b/']; }, /"records.0" expected base64url/],
  ['pile id of 7 bytes', (w) => { w.piles = { '01020304050607': {} }; }, /"piles.01020304050607" is not a known field/],
  ['voucher with an unknown mode', (w) => { w.voucher = { pileId: pileHex, pileNonce: '00'.repeat(16), authorization: 'AA', voucherId: '00'.repeat(8), limit: { mode: 'turbo' }, capMinor: 1, expiresAtS: 1 }; }, /"voucher.limit.mode" expected one of amount\|time\|energy\|full/],
  ['registered not boolean', (w) => { w.registered = 'yes'; }, /"registered" expected true or false/],
  ['negative hello time', (w) => { w.hello = { pileId: pileHex, pileNonce: '00'.repeat(16), atMs: -1 }; }, /"hello.atMs" expected 0..9007199254740991, got -1/],
];

for (const [name, spoil, reason] of badWallets) {
  test(`a wallet file with ${name} is refused with a reason`, () => {
    const json = JSON.parse(JSON.stringify(fresh())) as Record<string, unknown>;
    spoil(json);
    const parsed = parseWalletState(json);
    assert.not.ok(parsed.ok);
    if (!parsed.ok) assert.match(parsed.reason, reason);
  });
}

test('a v1 wallet (capAmountMinor) reads as v2 with the cap named capMinor', () => {
  const v2 = fresh();
  v2.voucher = { pileId: pileHex, pileNonce: '00'.repeat(16), authorization: 'AA', voucherId: '00'.repeat(8), limit: { mode: 'energy', energyWh: 5000 }, capMinor: 150, expiresAtS: 1 };
  const { capMinor, ...voucher } = v2.voucher;
  const v1 = { ...JSON.parse(JSON.stringify(v2)), format: 'tapcharge-wallet-v1', voucher: { ...voucher, capAmountMinor: capMinor } };
  assert.equal(parseWalletState(v1), { ok: true, value: v2 });
});

test('readWalletFile: missing file, invalid JSON: one-line WalletFileError, file untouched', () => {
  assert.throws(() => readWalletFile(join(dir, 'none.json')), /no wallet at .*none.json \(create one with: tapcharge phone keygen/);
  const path = join(dir, 'garbage.json');
  writeFileSync(path, '{"format": ');
  assert.throws(() => readWalletFile(path), /garbage.json: not a wallet \(invalid JSON\)/);
  assert.is(readFileSync(path, 'utf8'), '{"format": ');
});

test('holdRecords: dedupes by (pile, seq); a receipt for the active contract ends it', () => {
  const state = fresh();
  assert.is(holdRecords(state, [carried(contract(1)), carried(contract(1))]), 1);
  state.active = { pileId: pileHex, seq: 1, contract: bytesToBase64url(contract(1)), limit: { mode: 'energy', energyWh: 5000 }, capMinor: 150, startAtS: 1 };
  assert.is(holdRecords(state, [carried(receipt(2, 1)), carried(contract(3))]), 2);
  assert.is(state.active, null);
  assert.equal(state.lastFinished?.contractSeq, 1);
  assert.is(state.records.length, 3);
});

test('a contract that consumed our voucher becomes the active contract (START answer lost)', () => {
  const state = fresh();
  const voucherId = new Uint8Array(8).fill(0xab);
  state.voucher = { pileId: pileHex, pileNonce: '00'.repeat(16), authorization: 'AA', voucherId: bytesToHex(voucherId), limit: { mode: 'energy', energyWh: 5000 }, capMinor: 150, expiresAtS: 1 };
  holdRecords(state, [carried(contract(4, voucherId))]);
  assert.is(state.voucher, null);
  assert.is(state.active?.seq, 4);
});

test('noteAck drops covered records, remembers the acked prefix; outboxCursor skips what is held', () => {
  const state = fresh();
  holdRecords(state, [carried(contract(1)), carried(receipt(2, 1)), carried(contract(3)), carried(contract(5))]);
  assert.is(outboxCursor(state, pileHex), 3); // 1..3 held, 4 missing
  noteAck(state, pileHex, { pileId, ranges: [{ fromSeq: 1, toSeq: 2 }], atS: 1 }, 'AAAA');
  assert.equal(state.records.map((r) => carried(Uint8Array.from(Buffer.from(r, 'base64url'))).seq), [3, 5]);
  assert.is(state.piles[pileHex]?.ackedUpToSeq, 2);
  assert.is(state.acks[pileHex], 'AAAA');
  assert.is(outboxCursor(state, pileHex), 3);
  // a record the relay already holds is not taken again
  assert.is(holdRecords(state, [carried(contract(1))]), 0);
  noteAck(state, pileHex, { pileId, ranges: [{ fromSeq: 1, toSeq: 3 }, { fromSeq: 5, toSeq: 5 }], atS: 2 }, 'BBBB');
  assert.is(state.records.length, 0);
  assert.is(outboxCursor(state, pileHex), 3); // 4 is a gap: ask from there
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
