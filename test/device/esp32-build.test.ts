// `npm run device:esp32`'s build (test/device/esp32-build.ts): board v1's ESP32 build compiles
// every tapcharge module with tsc and xsc against $MODDABLE/typings and links them with
// preloading; the same build of a copy of the tree with a type error in a driver fails at that
// driver's module, naming it (only that module is made: the whole build again would double the
// test's minutes).
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findModdable, repoRoot } from '../support/moddable.ts';
import { buildEsp32Modules } from './esp32-build.ts';

const moddable = findModdable();
if ('skipped' in moddable) {
  console.log(`device:esp32 tests skipped: ${moddable.skipped}`);
} else {
  test('board v1 builds for esp32: every driver, the firmware with its service console, the board and contracts-offline compile and link', () => {
    const build = buildEsp32Modules(moddable);
    if (!build.ok) throw new Error(`${build.stage}: ${build.reason}`);
    for (const module of ['drivers/sdm230/sdm230', 'drivers/contactor/contactor', 'drivers/control-pilot/control-pilot', 'drivers/hd44780/hd44780', 'drivers/flash-partition/flash-partition', 'boards/pile-board', 'boards/esp32_pile_v1/hal', 'boards/esp32_pile_v1/main', 'boards/serial-service-port', 'firmware/pile', 'firmware/pile-runtime', 'firmware/console/session', 'contracts-offline/console/frame', 'contracts-offline/signed', 'hal/types', '~.embedded/provider/builtin', '~.embedded/storage/flash', '~.embedded/io/serial', 'time']) {
      assert.ok(build.modules.includes(module), `${module} compiled`);
    }
  });

  test('a type error in a driver fails the build at tsc, naming the file', () => {
    const copy = join(repoRoot, 'build/device/type-error-tree');
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy, { recursive: true });
    try {
      for (const path of ['manifest.json', 'boards', 'drivers', 'firmware', 'contracts-offline', 'hal']) cpSync(join(repoRoot, path), join(copy, path), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
      const driver = join(copy, 'drivers/sdm230/sdm230.ts');
      writeFileSync(driver, readFileSync(driver, 'utf8').replace('energyWh: Math.round(importKwh * 1000),', "energyWh: 'about ' + importKwh,"));
      const build = buildEsp32Modules(moddable, { root: copy, name: 'esp32-type-error', only: 'drivers/sdm230/sdm230' });
      assert.is(build.ok, false);
      if (build.ok) return;
      assert.is(build.stage, 'make');
      assert.match(build.reason, /drivers\/sdm230\/sdm230\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
}

test.run();
