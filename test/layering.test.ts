// The import rules of docs/design.md §3 (.dependency-cruiser.cjs), run with the real command: the
// tree keeps them, and a probe tree that breaks each one is refused with the rule's name.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('..', import.meta.url).pathname;
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');
const folders = ['contracts-offline', 'hal', 'drivers', 'boards', 'firmware', 'tools', 'bench', 'test'];

function cruise(cwd: string): { status: number; output: string } {
  const r = spawnSync(process.execPath, [depcruise, '--config', config, '--output-type', 'err', ...folders], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

test('the tree keeps every import rule', () => {
  const { status, output } = cruise(root);
  assert.is(status, 0, output);
  assert.match(output, /no dependency violations found/);
});

// One file per forbidden import; every rule must fire on its own line.
const probe: Record<string, string> = {
  'tsconfig.json': readFileSync(join(root, 'tsconfig.json'), 'utf8').replace(/"include": \[[^\]]*\]/, '"include": ["contracts-offline", "hal", "drivers", "boards", "firmware", "tools", "bench", "test"]'),
  'drivers/meter/meter.ts': "import { crc } from '../crc/crc.ts';\nexport const meter = crc;\n",
  'drivers/crc/crc.ts': 'export const crc = 1;\n',
  'boards/board/hal.ts': "import { meter } from '../../drivers/meter/meter.ts';\nimport { rig } from '../../test/relay/rig.ts';\nexport const hal = [meter, rig];\n",
  'hal/sim/uses-driver.ts': "import { meter } from '../../drivers/meter/meter.ts';\nexport const u = meter;\n",
  'contracts-offline/uses-node.ts': "import { createHash } from 'node:crypto';\nexport const h = createHash;\n",
  'hal/types.ts': "import type { X } from '../tools/relay/lib.ts';\nexport type Y = X;\n",
  'hal/sim/flash.ts': "import { boot } from '../../firmware/pile.ts';\nexport const f = boot;\n",
  'firmware/pile.ts': "import { f } from '../hal/sim/flash.ts';\nexport const boot = f;\n",
  'firmware/journal/journal.ts': 'export const journal = 1;\n',
  'tools/relay-api/routes.ts': "import { lib } from '../relay/lib.ts';\nexport const routes = lib;\n",
  'tools/relay/lib.ts': [
    "import { journal } from '../../firmware/journal/journal.ts';",
    "import { main } from '../cli/main.ts';",
    "import { helper } from '../../test/support/helper.ts';",
    'export type X = number;',
    'export const lib = [journal, main, helper];',
  ].join('\n') + '\n',
  'tools/cli/main.ts': 'export const main = 1;\n',
  'tools/phone/a.ts': "import type { B } from './b.ts';\nexport type A = { b?: B };\n",
  'tools/phone/uses-relay.ts': "import { lib } from '../relay/lib.ts';\nexport const u = lib;\n",
  'tools/phone/b.ts': "import type { A } from './a.ts';\nexport type B = { a?: A };\n",
  'bench/probe.bench.ts': "import { rig } from '../test/relay/rig.ts';\nexport const b = rig;\n",
  'test/support/helper.ts': 'export const helper = 1;\n',
  'test/relay/rig.ts': 'export const rig = 1;\n',
  'test/relay/some.test.ts': 'export const some = 1;\n',
  'test/phone/borrow.test.ts': "import { rig } from '../relay/rig.ts';\nimport { some } from '../relay/some.test.ts';\nexport const borrowed = [rig, some];\n",
};

test('each forbidden import is refused, naming its rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-layering-'));
  try {
    for (const [path, text] of Object.entries(probe)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const { status, output } = cruise(dir);
    assert.is.not(status, 0, 'violations make the command fail');
    const expected: [string, RegExp][] = [
      ['contracts-offline-stands-alone', /contracts-offline\/uses-node\.ts → (node:)?crypto/],
      ['hal-types-stand-alone', /hal\/types\.ts → tools\/relay\/lib\.ts/],
      ['hal-sim-simulates-hal-types', /hal\/sim\/flash\.ts → firmware\/pile\.ts/],
      ['firmware-sees-hal-types-and-contracts-offline', /firmware\/pile\.ts → hal\/sim\/flash\.ts/],
      ['relay-api-is-neutral', /tools\/relay-api\/routes\.ts → tools\/relay\/lib\.ts/],
      ['tools-use-the-firmware-public-entries', /tools\/relay\/lib\.ts → firmware\/journal\/journal\.ts/],
      ['only-the-cli-imports-the-cli', /tools\/relay\/lib\.ts → tools\/cli\/main\.ts/],
      ['product-code-never-imports-tests', /tools\/relay\/lib\.ts → test\/support\/helper\.ts/],
      ['bench-shares-only-test-support', /bench\/probe\.bench\.ts → test\/relay\/rig\.ts/],
      ['no-test-file-is-imported', /test\/phone\/borrow\.test\.ts → test\/relay\/some\.test\.ts/],
      ['test-helpers-stay-in-their-area', /test\/phone\/borrow\.test\.ts → test\/relay\/rig\.ts/],
      ['phone-sdk-stays-portable', /tools\/phone\/uses-relay\.ts → tools\/relay\/lib\.ts/],
      ['drivers-see-only-their-own-folder', /drivers\/meter\/meter\.ts → drivers\/crc\/crc\.ts/],
      ['only-boards-use-drivers', /hal\/sim\/uses-driver\.ts → drivers\/meter\/meter\.ts/],
      ['boards-assemble-from-hal-and-drivers', /boards\/board\/hal\.ts → test\/relay\/rig\.ts/],
      ['no-cycles', /tools\/phone\/a\.ts →\s+tools\/phone\/b\.ts →\s+tools\/phone\/a\.ts/],
    ];
    for (const [rule, line] of expected) {
      assert.match(output, new RegExp(`error ${rule}: ${line.source}`), `${rule} fires:\n${output}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The device build (manifest.json) compiles only the module folders it lists: a firmware folder
// left out builds and tests in Node and fails only in the slow device builds, minutes later.
test('manifest.json lists every folder of the device code', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { modules: Record<string, unknown> };
  const listed = new Set(Object.keys(manifest.modules));
  const foldersWithModules = (folder: string): string[] => {
    const entries = readdirSync(join(root, folder), { withFileTypes: true });
    const own = entries.some((e) => e.isFile() && e.name.endsWith('.ts')) ? [folder] : [];
    return [...own, ...entries.filter((e) => e.isDirectory()).flatMap((e) => foldersWithModules(`${folder}/${e.name}`))];
  };
  const missing = ['contracts-offline', 'firmware', 'drivers'].flatMap(foldersWithModules).filter((folder) => !listed.has(`${folder}/*`));
  assert.equal(missing, [], `add to manifest.json "modules": ${missing.join(', ')}`);
});

test.run();
