// The native Moddable executable (x-cli-lin, built by mcconfig from test/device/manifest.json over
// manifest.json: the firmware and drivers preloaded, the host board's bus simulations):
// - design §3, third runtime: the scripted day gives the same journal — flash image SHA-256 and
//   length — and the same signed records and taps as the day in Node on the hal/sim parts;
// - the heap mode reads XS's own counters at each step of a boot and a session;
// - the native Ed25519 (boards/sodium, libsodium) gives noble's verdicts on the whole corpus and
//   the RFC 8032 keys and signatures, and the day signed and checked with it is the same day;
// - with its journal partition in a file (boards/host/flash-file.c), a killed process is a power
//   cut: the next boot ends the interrupted session abnormal/powerLoss at its last checkpoint, once.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { sha256 } from '../../contracts-offline/crypto.ts';
import { billedAmountMinor } from '../../contracts-offline/tariff-cost.ts';
import { EndDetail } from '../../contracts-offline/messages/receipt.ts';
import { type DayOutcome, type HostHeap, buildHostExecutable, hostExecutable, nodeDayOutcome, runHostExecutable, spawnHostExecutable, taggedLines } from '../support/host-build.ts';
import { findModdable } from '../support/moddable.ts';
import { openPileSigned } from '../support/pile-rig.ts';
import { ed25519Corpus } from '../support/ed25519-corpus.ts';
import { rfc8032Vectors } from '../support/rfc8032-vectors.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';

type CryptoRun = { verdicts: { name: string; noble: boolean; native: boolean }[]; vectors: { name: string; publicKey: string; signature: string }[]; sha512Abc: string; sha256Abc: string; shortKey: string };
type JournalState = { provisioned: boolean; recovered: number[]; records: { seq: number; signed: string }[] };
type Charging = { contractSeq: number; seconds: number; meterWh: number };

/** `tapcharge journal FILE charge`, killed (SIGKILL) once it has charged for `seconds` of pile time. */
function chargeThenKill(file: string, seconds: number): Promise<{ lines: Charging[]; signal: string | null; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(hostExecutable, ['journal', file, 'charge']);
    let stdout = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (taggedLines<Charging>(stdout.slice(0, stdout.lastIndexOf('\n')), 'XS-CHARGING').some((l) => l.seconds >= seconds)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      resolve({ lines: taggedLines<Charging>(stdout.slice(0, stdout.lastIndexOf('\n') + 1), 'XS-CHARGING'), signal, status });
    });
  });
}

const moddable = findModdable();
if ('skipped' in moddable) {
  console.log(`device:host tests skipped: ${moddable.skipped}`);
} else {
  buildHostExecutable(moddable);
  const native = runHostExecutable<DayOutcome>(['day'], 'XS-DAY');
  const node = await nodeDayOutcome();

  test('the day runs to its end in the native executable (signed and checked with the native Ed25519)', () => {
    assert.ok(native.sessions >= 20);
    assert.is(native.sessions, node.sessions);
  });

  test('the same journal: flash image SHA-256 and length', () => {
    assert.is(native.flashBytes, node.flashBytes);
    assert.is(native.flashSha256, node.flashSha256);
  });

  test('the same signed records and taps', () => {
    assert.equal(native.records, node.records);
    assert.equal(native.taps, node.taps);
  });

  test('native Ed25519: the same verdicts as noble on every corpus case, in XS and in Node; RFC 8032 keys and signatures', () => {
    const run = runHostExecutable<CryptoRun>(['crypto'], 'XS-CRYPTO');
    const corpus = ed25519Corpus();
    assert.is(run.verdicts.length, corpus.length);
    corpus.forEach(({ name, signature, message, publicKey }, i) => {
      const verdict = run.verdicts[i]!;
      assert.is(verdict.name, name);
      assert.is(verdict.native, verdict.noble, name);
      assert.is(verdict.noble, nobleEd25519.verify(signature, message, publicKey), `${name}: noble in XS as in Node`);
    });
    assert.is(run.verdicts.filter((v) => v.native).length, rfc8032Vectors.length + 1, 'only the valid signatures pass');
    assert.equal(run.vectors, rfc8032Vectors.map((v) => ({ name: v.name, publicKey: v.publicKey, signature: v.signature })));
    assert.is(run.sha512Abc, rfc8032Vectors.find((v) => v.name === 'TEST SHA(abc)')!.message, 'SHA-512("abc"), FIPS 180-2');
    assert.is(run.sha256Abc, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'SHA-256("abc"), FIPS 180-2 Appendix B.1');
    assert.is(run.shortKey, 'RangeError: sodium: "secretKey" expected 32 bytes, got 31');
  });

  test('the heap mode reads the heap at each step of one pile\'s boot and session', () => {
    const heap = runHostExecutable<Record<string, HostHeap> & { flashBytes: number }>(['heap'], 'XS-HEAP');
    const steps = ['start', 'crypto', 'keys', 'modules', 'physics', 'board', 'booted', 'session'];
    for (const step of steps) assert.ok(heap[step]!.chunkBytes > 0 && heap[step]!.slotCount > 0, step);
    const bytes = (step: string): number => heap[step]!.chunkBytes + heap[step]!.slotCount * heap[step]!.slotBytes;
    assert.ok(bytes('physics') - bytes('modules') >= heap.flashBytes, 'the simulated flash is in the heap');
    assert.ok(bytes('booted') > bytes('board') && bytes('session') > bytes('booted'));
  });

  test('journal in a file: a killed process is a power cut; the next boot bills the session to its last checkpoint, once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tapcharge-journal-')), 'journal.bin');
    const blank = runHostExecutable<JournalState>(['journal', file], 'XS-JOURNAL');
    assert.equal(blank, { provisioned: true, recovered: [], records: [] });
    assert.is(statSync(file).size, 0x10000, 'the file is the 64 KiB partition image');

    const charged = await chargeThenKill(file, 150);
    assert.is(charged.signal, 'SIGKILL', `killed while charging, not ended (exit ${charged.status})`);
    const last = charged.lines.at(-1)!;
    assert.ok(last.seconds >= 150 && last.contractSeq === 1);

    const recovered = runHostExecutable<JournalState>(['journal', file], 'XS-JOURNAL');
    assert.is(recovered.provisioned, false);
    assert.equal(recovered.recovered, [2]);
    assert.equal(recovered.records.map((r) => r.seq), [1, 2]);
    const contract = openPileSigned(hexToBytes(recovered.records[0]!.signed), 'Contract');
    const receipt = openPileSigned(hexToBytes(recovered.records[1]!.signed), 'Receipt');
    assert.is(receipt.contractSeq, contract.seq);
    assert.is(receipt.endReason, 'abnormal');
    assert.is(receipt.endDetail, EndDetail.powerLoss);
    // Checkpoints every 60 s of session time; the process printed `last` and was killed within its next 10 s step.
    assert.ok(receipt.durationS >= Math.floor(last.seconds / 60) * 60 - 60 && receipt.durationS <= last.seconds + 10, `durationS ${receipt.durationS}, last seen ${last.seconds} s`);
    assert.ok(receipt.energyWh > 0 && receipt.energyWh === receipt.endMeterWh - contract.startMeterWh);
    assert.ok(receipt.endMeterWh <= last.meterWh + 21, 'no energy billed beyond what the meter had counted');
    assert.is(receipt.amountMinor, billedAmountMinor(contract.tariff, receipt, contract.capMinor));

    const image = readFileSync(file);
    const again = runHostExecutable<JournalState>(['journal', file], 'XS-JOURNAL');
    assert.equal(again, { provisioned: false, recovered: [], records: recovered.records }, 'nothing billed twice');
    assert.equal(sha256(readFileSync(file)), sha256(image), 'a boot with nothing to recover writes nothing');
  });

  test('journal in a file: a file that is not a partition image is refused with a clear error and left as it was', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tapcharge-journal-')), 'short.bin');
    const bytes = new Uint8Array(1000).fill(0x5a);
    writeFileSync(file, bytes);
    const run = spawnHostExecutable(['journal', file]);
    assert.is.not(run.status, 0);
    assert.match(run.stderr, `flash-file: ${file} holds 1000 bytes, not a 65536-byte partition image`);
    assert.equal(new Uint8Array(readFileSync(file)), bytes);
    const usage = spawnHostExecutable(['journal']);
    assert.is(usage.status, 2);
    assert.match(usage.stdout, 'usage: tapcharge journal FILE [charge]');
  });
}

test.run();
