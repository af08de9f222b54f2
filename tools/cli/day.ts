// `tapcharge day …`: the whole system on embedded defaults through a scripted day (`npm start`),
// one simulated pile driven by scripted phones (`npm run pile:sim`), and the audit of a day's
// data folder re-run from that folder alone.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { collectFigures } from '../system-day/day-figures.ts';
import { formatReport } from '../system-day/day-report.ts';
import { dayScript } from '../system-day/day-script.ts';
import { onePileScript } from '../system-day/one-pile-script.ts';
import { runDay } from '../system-day/run-day.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';
import { dataFolder } from './cli-files.ts';
import { DayError } from '../system-day/errors.ts';

const usage = `usage: tapcharge day [one-pile | audit] [options]

  tapcharge day [--data DIR] [--seed N] [--fast]
      relay (SQLite + embedded ledger), four simulated piles running the real firmware (one
      networked: OCPP uplink, the relay's virtual channel, an uplink outage) and six drivers'
      phones on the simulated NFC field, through a scripted day 07:00–22:00 on a virtual
      clock; a live view on a terminal (plain log otherwise), then the report and the audit.
  tapcharge day one-pile [--data DIR] [--seed N] [--fast]
      one simulated pile and its display, driven by scripted phones through every flow of R3–R8.
  tapcharge day audit --data DIR
      the report and the audit of a day from its data folder alone: every figure the relay stored
      re-derived from the signed records, the relay's signatures and the ledger's events.

  --data DIR   a new or empty folder for the relay and ledger data (default: a fresh temp folder, kept)
  --seed N     seeds the simulated keys, nonces and boards (default 1): same seed, same pile and user ids
  --fast       no pacing of the live view

The day's relay serves the operators' dashboard: its link is printed at the start; on a terminal
(without --fast) the relay serves it again after the report until Ctrl-C.
exit status: 0 when every flow happened and the audit passes, 1 otherwise.`;

const options = {
  data: { type: 'string' },
  seed: { type: 'string' },
  fast: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function freshDataDir(given: string | undefined): string {
  if (given === undefined) return mkdtempSync(join(tmpdir(), 'tapcharge-day-'));
  const dir = dataFolder('--data', given);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new CliError(`--data ${given}: the folder is not empty (a day needs a new or empty folder; audit an old one with: tapcharge day audit --data ${given})`, 2);
  return dir;
}

function seedOf(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^[0-9]{1,9}$/.test(text)) throw new CliError(`--seed expected a whole number 0..999999999, got "${text}"`, 2);
  return Number(text);
}

async function audit(dataDir: string | undefined): Promise<number> {
  if (dataDir === undefined) throw new CliError('tapcharge day audit needs --data DIR', 2);
  let figures;
  try {
    figures = await collectFigures(resolve(dataDir));
  } catch (error) {
    // a relay.sqlite that is damaged or foreign is the relay audit's RelayAuditError: one line already
    if (error instanceof DayError) throw new CliError(error.message);
    throw error;
  }
  console.log(formatReport(figures));
  return figures.audit.ok ? 0 : 1;
}

/** Resolves at the first SIGINT (Ctrl-C) or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw argsError(error, args, 'day');
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [command, ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}" (see: tapcharge day --help)`, 2);
  if (command === 'audit') {
    if (values.seed !== undefined || values.fast) throw new CliError('tapcharge day audit takes only --data DIR', 2);
    return audit(values.data);
  }
  if (command !== undefined && command !== 'one-pile') throw new CliError(`unknown day command "${command}" (see: tapcharge day --help)`, 2);
  const seed = seedOf(values.seed);
  const dataDir = freshDataDir(values.data);
  try {
    // on a terminal, unless --fast, the dashboard stays up after the report until Ctrl-C
    const serving = process.stdout.isTTY === true && values.fast !== true;
    const outcome = await runDay({
      script: command === 'one-pile' ? onePileScript : dayScript, dataDir, seed, fast: values.fast === true, out: process.stdout,
      ...(serving && { serveDashboardUntil: interrupted }),
    });
    return outcome.ok ? 0 : 1;
  } catch (error) {
    // the script's own failures are reported in the day's report; this is the system not running at all
    throw new CliError(`the day could not run (data in ${dataDir}): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}
