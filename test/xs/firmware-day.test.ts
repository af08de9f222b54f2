// design §3: firmware/ runs unchanged on Node and on XS. The scripted pile day (22 sessions through
// APDUs, test/firmware/day/) is bundled with the firmware and the simulated board and run in xsnap;
// its journal (the whole flash image, by SHA-256 and length), every signed record and every tap's
// air figures must be identical to the same day run in Node.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { runScriptedDay } from '../support/day/scripted-day.ts';
import type { TapLog } from '../support/day/day-phone.ts';
import { bundleForXs } from '../support/xs/bundle.ts';
import { runXsScript } from '../support/xs/xsnap.ts';

type XsDay = { flashSha256: string; flashBytes: number; records: { seq: number; signed: string }[]; taps: TapLog[]; sessions: number };

const script = await bundleForXs(new URL('./firmware-day-xs.ts', import.meta.url).pathname);
const run = runXsScript(script, { timeoutMs: 120_000 });
const line = run.stdout.split('\n').find((l) => l.startsWith('XS-DAY '));
const xs = line ? (JSON.parse(line.slice('XS-DAY '.length)) as XsDay) : undefined;
const node = await runScriptedDay();

test('the scripted day runs to its end in XS', () => {
  assert.ok(xs, `no XS-DAY line (exit ${run.status}, signal ${run.signal})\n${run.stdout.split('\n').slice(-20).join('\n')}\n${run.stderr}`);
  assert.is(run.status, 0);
  assert.ok(xs.sessions >= 20);
});

test('the journal is byte-identical: flash image SHA-256 and length', () => {
  assert.is(xs!.flashBytes, node.flashImage.length);
  assert.is(xs!.flashSha256, createHash('sha256').update(node.flashImage).digest('hex'));
});

test('every signed record handed out is byte-identical', () => {
  assert.ok(node.records.length >= 40);
  assert.equal(xs!.records, node.records.map((r) => ({ seq: r.seq, signed: bytesToHex(r.signed) })));
});

test('every tap carried the same commands, APDUs and bytes', () => {
  assert.equal(xs!.taps, JSON.parse(JSON.stringify(node.taps)) as TapLog[]);
});

test.run();
