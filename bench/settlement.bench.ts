// Issue 15's table from one run: runs the relay, ledger gas and ledger start-up benches (each
// prints its own table too), then the measures side by side with each figure's method.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFigures, settlementParts, type Figure } from './figures.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-settlement-bench-'));
const file = join(dir, 'figures.json');
let failed = 0;
try {
  for (const part of settlementParts) {
    console.log(`\n### ${part.replace('.bench.ts', '')}\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(part, import.meta.url).pathname], { stdio: 'inherit', env: { ...process.env, BENCH_FIGURES: file } });
    if (r.status !== 0) failed++;
  }
  const f = readFigures(file);
  const n = (x: number) => Math.round(x).toLocaleString('en');
  const show = (key: string, format: (x: number) => string = n): [string, string] => {
    const fig: Figure | undefined = f[key];
    return fig ? [format(fig.value), fig.method] : ['not measured (its bench failed)', '—'];
  };
  const rows: [string, string, [string, string], string][] = [
    ['records/s, 2 cores, SQLite', '325–593', show('relay.sqlite.recordsPerS'), '≥ 5,000'],
    ['… as a ratio to the measured 2-core verify ceiling', '—', show('relay.sqlite.ceilingRatio', (x) => x.toFixed(3)), 'printed'],
    ['records/s, 2 cores, PostgreSQL durable', '131–183 (fsync off)', show('relay.postgres.recordsPerS'), '≥ 3,000'],
    ['relay CPU per record, SQLite', '~1.8 ms', show('relay.sqlite.cpuMsPerRecord', (x) => `${x.toFixed(2)} ms`), '≤ 0.3 ms'],
    ['relay CPU per record, PostgreSQL durable', '~1.8 ms', show('relay.postgres.cpuMsPerRecord', (x) => `${x.toFixed(2)} ms`), '≤ 0.3 ms'],
    ['… with the settlement of those records on the embedded ledger, SQLite', '—', show('relay.sqlite.cpuMsPerRecordSettled', (x) => `${x.toFixed(2)} ms`), '(beside)'],
    ['… with the settlement of those records on the embedded ledger, PostgreSQL durable', '—', show('relay.postgres.cpuMsPerRecordSettled', (x) => `${x.toFixed(2)} ms`), '(beside)'],
    ['upload → Ack p95 at 60 phones, saturated, SQLite', '224–253 ms', show('relay.sqlite.p95Ms', (x) => `${x.toFixed(1)} ms`), '≤ 25 ms'],
    ['upload → Ack p95 at 60 phones, saturated, PostgreSQL durable', '224–253 ms', show('relay.postgres.p95Ms', (x) => `${x.toFixed(1)} ms`), '≤ 25 ms'],
    ["upload → Ack p95 at 60 phones in the load test's loop, SQLite", '224–253 ms (load test)', show('relay.sqlite.loopP95Ms', (x) => `${x.toFixed(1)} ms`), '≤ 25 ms'],
    ["upload → Ack p95 at 60 phones in the load test's loop, PostgreSQL durable", '—', show('relay.postgres.loopP95Ms', (x) => `${x.toFixed(1)} ms`), '≤ 25 ms'],
    ['upload → Ack p95 at 60 phones, 600 records/s offered, SQLite', '—', show('relay.sqlite.pacedP95Ms', (x) => `${x.toFixed(1)} ms`), '≤ 25 ms'],
    ['upload → Ack p95 at 60 phones, 600 records/s offered, PostgreSQL durable', '—', show('relay.postgres.pacedP95Ms', (x) => `${x.toFixed(1)} ms`), '≤ 25 ms'],
    ['gas per settled session, batch 100, 10 piles / 20 users', '12,360', show('ledger.gas.fleet'), '≤ 2,500'],
    ['ERC-20 transfer gas, same run', '33,977', show('ledger.gas.erc20Transfer'), '(beside)'],
    ['gas per settled session, batch 100, all accounts distinct', '28,680', show('ledger.gas.distinct'), '≤ 6,000'],
    ['embedded ledger start, 10,000 settled sessions', '8.5–11.8 s (replay)', show('ledger.start.10k', (x) => `${x.toFixed(2)} s`), '—'],
    ['embedded ledger start, 100,000 settled sessions', '—', show('ledger.start.100k', (x) => `${x.toFixed(2)} s`), '—'],
    ['embedded ledger start, 1,000,000 settled sessions', '~15–20 min (extrapolated)', show('ledger.start.1m', (x) => `${x.toFixed(2)} s`), '≤ 3 s'],
  ];
  console.log('\n### issue 15 targets, this run\n');
  console.log(`Machine load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (2 cores; per-second figures vary with load, gas does not).\n`);
  console.log('| measure | before (issue 15) | this run | target | method |');
  console.log('|---|---:|---:|---:|---|');
  for (const [measure, before, [value, method], target] of rows) console.log(`| ${measure} | ${before} | ${value} | ${target} | ${method} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
