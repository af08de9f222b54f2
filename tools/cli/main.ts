// The `tapcharge` command: dispatches to one module per command group.
import { CodedError } from '../coded-error.ts';
import { KeyFileError } from '../key-file.ts';
import { CliError } from './cli-error.ts';

type CommandModule = { run(args: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  keygen: { summary: 'new Ed25519 key pair in a 0600 key file', load: () => import('./keygen.ts') },
  contract: { summary: 'offline contracts: sign, inspect, verify COSE_Sign1 messages', load: () => import('./contract.ts') },
  ledger: { summary: 'credit ledger: deploy, balance, issue, redeem, transfer, history, audit', load: () => import('./ledger.ts') },
  relay: { summary: 'verifier relay: start the HTTP API, register piles, top up users, audit a data folder', load: () => import('./relay.ts') },
  operator: { summary: 'operator: piles, users, OCPP uplinks, tariffs, disputes, refunds, accounting export', load: () => import('./operator.ts') },
  phone: { summary: 'phone simulator: a driver\'s wallet tapping piles and talking to the relay', load: () => import('./phone.ts') },
  pile: { summary: 'service a pile over its USB console (status, logs, self-test, clock); serve a simulated pile', load: () => import('./pile.ts') },
  provision: { summary: 'provision a blank pile over its USB console: key, relay registration, tariff', load: () => import('./provision.ts') },
  ports: { summary: 'list this computer\'s serial ports (where a pile\'s USB console shows up)', load: () => import('./ports.ts') },
  day: { summary: 'the whole system through a scripted day (npm start), one pile on show, audit a day', load: () => import('./day.ts') },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['usage: tapcharge <command> [options]', '', 'commands:', ...rows].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) throw new CliError(`unknown command "${name}" (try: tapcharge --help)`, 2);
  return (await command.load()).run(rest);
}

// `--debug` anywhere: an internal error prints its stack trace. A reader that stops early
// (`tapcharge … | head`) closes stdout: that ends the command quietly, not with an EPIPE trace.
const argv = process.argv.slice(2);
const debug = argv.includes('--debug');
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

main(argv.filter((arg) => arg !== '--debug')).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof CliError || error instanceof KeyFileError || error instanceof CodedError) {
      // a failure the command knows (a tool package's coded error): its message is the whole story
      process.stderr.write(`tapcharge: ${error.message}\n${debug && error.stack ? `${error.stack}\n` : ''}`);
      process.exitCode = error instanceof CliError ? error.exitCode : 1;
    } else {
      const detail = error instanceof Error ? (debug ? error.stack : error.message.split('\n')[0]) : String(error);
      process.stderr.write(`tapcharge: internal error: ${detail}${debug ? '' : ' (run again with --debug for the stack trace)'}\n`);
      process.exitCode = 70;
    }
  },
);
