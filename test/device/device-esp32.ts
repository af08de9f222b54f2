// `npm run device:esp32`: generate the ESP32 build of board v1 and compile every module with tsc
// and xsc (and link them with preloading); any type error, missing module or "no modules match"
// warning fails it. Lists the modules compiled. Without MODDABLE: one line saying what is skipped.
import { findModdable } from '../support/moddable.ts';
import { buildEsp32Modules } from './esp32-build.ts';

const moddable = findModdable();
if ('skipped' in moddable) {
  console.log(`device:esp32 skipped: ${moddable.skipped}`);
} else {
  const build = buildEsp32Modules(moddable);
  if (!build.ok) {
    console.error(`device:esp32 FAILED at ${build.stage}: ${build.reason}`);
    process.exitCode = 1;
  } else {
    const ours = build.modules.filter((m) => /^(boards|drivers|firmware|contracts-offline|hal)\//.test(m));
    console.log(`device:esp32: ${build.modules.length} modules compiled for esp32 (board esp32_pile_v1) in ${build.seconds.toFixed(1)} s; ${ours.length} of them tapcharge's:`);
    for (const m of ours) console.log(`  ${m}`);
    console.log(`  … and ${build.modules.length - ours.length} of the Moddable SDK and @noble: ${build.modules.filter((m) => !ours.includes(m)).join(', ')}`);
  }
}
