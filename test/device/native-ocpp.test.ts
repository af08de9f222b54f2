// Issue 13: the firmware's OCPP client runs in XS with the same results as in Node. The networked
// pile's scripted OCPP day (test/support/ocpp-day.ts: connect, identity challenge, boot, status,
// configuration, malformed frames, an unknown action, three channel sessions whose records go
// as BillingRecord + Start/StopTransaction and are acknowledged) on the host board gives, frame for
// frame, the same uplink transcript, the same final outbox (empty: every record acknowledged) and
// the same journal flash image in the native Moddable build (`tapcharge ocpp`, signed and checked
// with the native Ed25519) as in Node, and in xsnap (the same day bundled).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildHostExecutable, spawnHostExecutable, taggedLines } from '../support/host-build.ts';
import { findModdable } from '../support/moddable.ts';
import { type OcppTranscript, type UplinkFrame, runOcppDay } from '../support/ocpp-day.ts';
import { bundleForXs } from '../support/xs/bundle.ts';
import { runXsScript } from '../support/xs/xsnap.ts';

type TranscriptEnd = Omit<OcppTranscript, 'frames'> & { frameCount: number };

/** A run's transcript from its tagged lines (transcriptLines). */
function transcriptOf(stdout: string, where: string): OcppTranscript {
  const [end] = taggedLines<TranscriptEnd>(stdout, 'XS-OCPP');
  if (!end) throw new Error(`${where}: no XS-OCPP line\n${stdout.split('\n').slice(-20).join('\n')}`);
  const frames = taggedLines<UplinkFrame>(stdout, 'XS-OCPP-FRAME');
  if (frames.length !== end.frameCount) throw new Error(`${where}: ${frames.length} frame lines, the run counted ${end.frameCount}`);
  const { frameCount: _, ...rest } = end;
  return { frames, ...rest };
}

/** Frame by frame, so a difference names its first frame. */
function assertSameTranscript(actual: OcppTranscript, expected: OcppTranscript): void {
  const length = Math.max(actual.frames.length, expected.frames.length);
  for (let i = 0; i < length; i++) assert.equal(actual.frames[i], expected.frames[i], `frame ${i}`);
  assert.equal(actual.outbox, expected.outbox);
  assert.is(actual.flashSha256, expected.flashSha256);
  assert.is(actual.flashBytes, expected.flashBytes);
}

const node = runOcppDay({ board: 'host' });

test('the scripted day in Node: the whole script on the uplink, every record acknowledged', () => {
  const texts = node.frames.map((f) => f.text);
  for (const action of ['"BootNotification"', '"StatusNotification"', '"MeterValues"', '"Heartbeat"', '"FormationViolation"', '"NotImplemented"']) {
    assert.ok(texts.some((t) => t.includes(action)), action);
  }
  assert.is(texts.filter((t) => t.includes('"messageId":"BillingRecord"')).length, 6, 'a Contract and a Receipt per session');
  assert.is(texts.filter((t) => t.includes('"StartTransaction"')).length, 3);
  assert.is(texts.filter((t) => t.includes('"StopTransaction"')).length, 3);
  assert.equal(node.outbox, []);
});

test('xsnap: the same transcript, frame for frame, outbox and journal', async () => {
  const script = await bundleForXs({
    contents: `import { runOcppDay, transcriptLines } from './test/support/ocpp-day.ts';
      for (const line of transcriptLines(runOcppDay({ board: 'host' }))) print(line);`,
  });
  const run = runXsScript(script, { timeoutMs: 180_000 });
  assert.is(run.status, 0, run.stderr);
  assertSameTranscript(transcriptOf(run.stdout, 'xsnap'), node);
});

const moddable = findModdable();
if ('skipped' in moddable) {
  console.log(`device:host OCPP tests skipped: ${moddable.skipped}`);
} else {
  buildHostExecutable(moddable);

  test('the native build (native Ed25519): the same transcript, frame for frame, outbox and journal', () => {
    const run = spawnHostExecutable(['ocpp']);
    assert.is(run.status, 0, run.stderr);
    assertSameTranscript(transcriptOf(run.stdout, 'tapcharge ocpp'), node);
  });

  test('the usage names the ocpp mode', () => {
    const run = spawnHostExecutable(['no-such-mode']);
    assert.is(run.status, 2);
    assert.match(run.stdout, '| ocpp]');
  });
}

test.run();
