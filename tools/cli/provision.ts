// `tapcharge provision --port PORT --relay URL --label TEXT …`: a blank pile on a USB cable made
// ready to charge (tools/console/provision-over-console.ts), with a progress line per step and a
// one-screen summary; a pile already provisioned for this relay is left as it is.
import { parseArgs } from 'node:util';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { keyId } from '../../contracts-offline/keys.ts';
import { ConsoleClient } from '../console/console-client.ts';
import { type ProvisionOutcome, provisionOverConsole } from '../console/provision-over-console.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';
import { operatorKeyAt, portOption, relayAt } from './console-options.ts';

const usage = `usage: tapcharge provision --port PORT --relay URL --label TEXT [options]

Provisions the blank pile on the serial port PORT (see: tapcharge ports) for the relay at URL:
identify it, have it create its key (in its secure element), register that key at the relay,
write the relay-signed provisioning record with an authorisation for this console session, read
it back, run the self-test, and print a summary. A pile already provisioned for this relay is left
as it is ("already provisioned"; exit 0); one provisioned for another relay is refused (exit 1).

options:
  --operator-key FILE   the operator's key (default ./data/operator-key.json, as tapcharge relay start writes it)
  --pile-id HEX         16 hex digits (default: the id of the pile's key)
  --energy-price N      minor units per kWh (default 35)
  --time-price N        minor units per hour (default 0)
  --session-fee N       minor units per session (default 0)
  --max-power-w N       the pile's power limit, W (default 7400)
  --operator NAME       the operator's name in the relay's registry (default "operator")
  --json                the summary as JSON (progress lines go to stderr)

exit codes: 0 provisioned (or already), 1 refused (port, pile, relay), 2 usage mistake`;

const options = {
  port: { type: 'string' },
  relay: { type: 'string' },
  label: { type: 'string' },
  'operator-key': { type: 'string' },
  'pile-id': { type: 'string' },
  'energy-price': { type: 'string' },
  'time-price': { type: 'string' },
  'session-fee': { type: 'string' },
  'max-power-w': { type: 'string' },
  operator: { type: 'string', default: 'operator' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

function wholeNumber(text: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) < min || Number(text) > max) throw new CliError(`--${flag} expected a whole number ${min}..${max}, got "${text}"`, 2);
  return Number(text);
}

function pileIdOption(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9a-f]{16}$/.test(text)) throw new CliError(`--pile-id expected 16 lowercase hex digits, got "${text}"`, 2);
  return hexToBytes(text);
}

function summary(outcome: ProvisionOutcome, relayUrl: string): string {
  const id = bytesToHex(outcome.pileId);
  const c = outcome.config;
  const relayKid = bytesToHex(keyId(outcome.relayPublicKey));
  if (outcome.alreadyProvisioned) return `pile ${id} is already provisioned (relay key ${relayKid}, config v${c.configVersion}); nothing changed`;
  return [
    `pile ${id} provisioned`,
    `  label       ${c.label}`,
    `  key id      ${bytesToHex(keyId(outcome.pilePublicKey))} (public key ${bytesToHex(outcome.pilePublicKey)})`,
    `  relay       ${relayUrl} (key id ${relayKid})`,
    `  tariff      v${c.tariff.version}: ${c.tariff.energyMinorPerKwh}/kWh + ${c.tariff.timeMinorPerHour}/h + session fee ${c.tariff.sessionFeeMinor} (minor units), max ${c.maxPowerW} W`,
    `  config      v${c.configVersion}`,
    `  board       ${outcome.board}, firmware ${outcome.firmwareVersion}`,
    ...outcome.selfTest.map((r, i) => `  ${i === 0 ? 'self-test' : ''.padEnd(9)}   ${r.part.padEnd(15)} ${r.outcome}${r.detail ? `  ${r.detail}` : ''}`),
  ].join('\n');
}

function summaryJson(outcome: ProvisionOutcome, relayUrl: string): object {
  const c = outcome.config;
  return {
    pileId: bytesToHex(outcome.pileId),
    alreadyProvisioned: outcome.alreadyProvisioned,
    label: c.label,
    keyId: bytesToHex(keyId(outcome.pilePublicKey)),
    pilePublicKey: bytesToHex(outcome.pilePublicKey),
    relay: { url: relayUrl, publicKey: bytesToHex(outcome.relayPublicKey) },
    configVersion: c.configVersion,
    tariff: c.tariff,
    maxPowerW: c.maxPowerW,
    board: outcome.board,
    firmwareVersion: outcome.firmwareVersion,
    selfTest: outcome.selfTest,
  };
}

export async function run(args: string[]): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw argsError(error, args, 'provision');
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const port = portOption(values.port);
  const relay = relayAt(values.relay);
  if (values.label === undefined) throw new CliError('--label TEXT is required (where the pile stands, shown to drivers, e.g. "Main St 1")', 2);
  const pileId = pileIdOption(values['pile-id']);
  const registration = {
    label: values.label,
    operator: values.operator!,
    maxPowerW: wholeNumber(values['max-power-w'], 'max-power-w', 1, 1_000_000, 7400),
    tariff: {
      energyMinorPerKwh: wholeNumber(values['energy-price'], 'energy-price', 0, 10_000_000, 35),
      timeMinorPerHour: wholeNumber(values['time-price'], 'time-price', 0, 10_000_000, 0),
      sessionFeeMinor: wholeNumber(values['session-fee'], 'session-fee', 0, 10_000_000, 0),
    },
    ...(pileId && { pileId }),
  };
  const operatorKey = operatorKeyAt(values['operator-key']);
  const progress = (line: string): void => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  progress(`opening ${port}…`);
  const pile = await ConsoleClient.open(port);
  try {
    const outcome = await provisionOverConsole({ console: pile, relay, operatorKey, registration, progress });
    console.log(values.json ? JSON.stringify(summaryJson(outcome, relay.baseUrl), null, 2) : summary(outcome, relay.baseUrl));
    return 0;
  } finally {
    await pile.close();
  }
}
