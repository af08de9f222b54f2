// Node and XS turn every test/fixtures/<type>.json into the same signed bytes: the same round trip
// (test/xs/fixture-roundtrip.ts) runs in both engines; both must equal the committed <type>.cose,
// and each engine must open its own bytes back to the fixture's JSON.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MESSAGE_NAMES } from '../../contracts-offline/messages/registry.ts';
import { fixtureFile } from '../support/fixtures.ts';
import { bundleForXs } from '../support/xs/bundle.ts';
import { type RoundTrip, roundTripFixtures } from './fixture-roundtrip.ts';
import { runXsScript } from '../support/xs/xsnap.ts';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const secretKeyHex = (JSON.parse(readFileSync(`${fixtures}test-key.json`, 'utf8')) as { secretKey: string }).secretKey;
const inputs = Object.fromEntries(MESSAGE_NAMES.map((name) => [name, JSON.parse(readFileSync(`${fixtures}${fixtureFile(name)}.json`, 'utf8'))]));

const inNode = roundTripFixtures(inputs, secretKeyHex);

const script = await bundleForXs(
  {
    contents: `import { roundTripFixtures } from './test/xs/fixture-roundtrip.ts';
print('XS-ROUNDTRIP ' + JSON.stringify(roundTripFixtures(JSON.parse(FIXTURES_JSON), FIXTURE_SECRET_KEY_HEX)));`,
  },
  { globals: { FIXTURES_JSON: JSON.stringify(inputs), FIXTURE_SECRET_KEY_HEX: secretKeyHex } },
);
const xsRun = runXsScript(script, { timeoutMs: 120_000 });
const xsLine = xsRun.stdout.split('\n').find((line) => line.startsWith('XS-ROUNDTRIP '));
const inXs: Record<string, RoundTrip> = xsLine ? JSON.parse(xsLine.slice('XS-ROUNDTRIP '.length)) : {};

test('xsnap ran the round trip of every fixture', () => {
  assert.is(xsRun.status, 0, `xsnap exit ${xsRun.status} ${xsRun.signal ?? ''}\n${xsRun.stdout}${xsRun.stderr}`);
  assert.equal(Object.keys(inXs).sort(), [...MESSAGE_NAMES].sort());
});

for (const name of MESSAGE_NAMES) {
  const file = fixtureFile(name);
  test(`${file}: XS signs the JSON to the same bytes as Node, and both to the committed .cose`, () => {
    const committed = readFileSync(`${fixtures}${file}.cose`).toString('hex');
    assert.is(inNode[name]!.signedHex, committed, 'Node');
    assert.is(inXs[name]?.signedHex, inNode[name]!.signedHex, 'XS vs Node');
  });

  test(`${file}: XS and Node each open their signed bytes back to the fixture JSON`, () => {
    assert.equal(inNode[name]!.reopened, { ok: true, json: inputs[name] }, 'Node');
    assert.equal(inXs[name]?.reopened, { ok: true, json: inputs[name] }, 'XS');
  });
}

test.run();
