// Headline figures a bench hands to the bench that runs it (bench/settlement.bench.ts): when
// BENCH_FIGURES names a file, `recordFigures` merges its figures into that JSON file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** The benches bench/settlement.bench.ts runs (bench/run.ts does not run them again beside it). */
export const settlementParts: readonly string[] = ['relay.bench.ts', 'ledger.bench.ts', 'ledger-start.bench.ts'];

export type Figure = { value: number; method: string };
export type Figures = Record<string, Figure>;

export function recordFigures(figures: Figures): void {
  const file = process.env['BENCH_FIGURES'];
  if (!file) return;
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Figures) : {};
  writeFileSync(file, JSON.stringify({ ...known, ...figures }, null, 1));
}

export function readFigures(file: string): Figures {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Figures) : {};
}
