// test/fixtures: every message type has <type>.json and <type>.cose signed with test-key.json;
// signing the JSON again through the CLI reproduces the committed .cose byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MESSAGE_NAMES, codecs } from '../../contracts-offline/messages/registry.ts';
import type { MessageCodec } from '../../contracts-offline/messages/schema.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { samples } from '../support/samples.ts';
import { fixtureFile } from '../support/fixtures.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const testKey = JSON.parse(readFileSync(`${fixtures}test-key.json`, 'utf8')) as { publicKey: string };

for (const name of MESSAGE_NAMES) {
  const base = `${fixtures}${fixtureFile(name)}`;
  test(`${fixtureFile(name)}: CLI re-signs the JSON to the committed .cose byte for byte`, () => {
    const r = spawnSync(process.execPath, [bin, 'contract', 'sign', '--type', name, '--in', `${base}.json`, '--key', `${fixtures}test-key.json`]);
    assert.is(r.status, 0, r.stderr.toString());
    assert.is(r.stdout.toString('hex'), readFileSync(`${base}.cose`).toString('hex'));
  });

  test(`${fixtureFile(name)}: the JSON is the sample and the .cose opens to it`, () => {
    const json = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    const codec = codecs[name] as MessageCodec<unknown>;
    assert.equal(codec.fromJson(json), samples[name]);
    const opened = openSigned(new Uint8Array(readFileSync(`${base}.cose`)), { publicKey: hexToBytes(testKey.publicKey), expectType: name });
    assert.ok(opened.ok, opened.ok ? '' : opened.reason);
    if (opened.ok) assert.equal(opened.value.message, samples[name]);
  });
}

test('signed sizes of the fixtures: Contract <= 200 bytes, Receipt <= 160 bytes', () => {
  assert.ok(readFileSync(`${fixtures}contract.cose`).length <= 200);
  assert.ok(readFileSync(`${fixtures}receipt.cose`).length <= 160);
});

test.run();
