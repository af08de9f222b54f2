// `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument) in
// turn; each prints its own markdown table.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { settlementParts } from './figures.ts';

const dir = new URL('.', import.meta.url).pathname;
const filters = process.argv.slice(2);
const selected = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && filters.every((w) => f.includes(w))).sort();
const files = selected.includes('settlement.bench.ts') ? selected.filter((f) => !settlementParts.includes(f)) : selected;
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.replace('.bench.ts', '')}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', dir + file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
