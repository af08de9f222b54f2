// `tapcharge relay …`: run the verifier relay, and the operator's errands against a running one
// (signed with DATA/operator-key.json through the relay's HTTP API).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToBase64url, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { readKeyFile } from '../key-file.ts';
import { nodeEd25519 } from '../node-ed25519.ts';
import { RelayError } from '../phone/errors.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { DEFAULT_RELAY_PORT } from '../relay/defaults.ts';
import { CliError } from './cli-error.ts';
import { outputFile } from './cli-files.ts';

const usage = `usage: tapcharge relay <command> [options]

commands:
  start                 run the relay on 127.0.0.1 until SIGINT/SIGTERM
      [--data DIR] [--port N] [--database-url URL | env DATABASE_URL]
      [--rpc URL --key HEX --address ADDR]   settle on a JSON-RPC chain instead of the embedded one
  register-pile         register a pile; writes its provisioning PileUpdate (COSE) to --out
      --pile-id HEX --public-key HEX --label TEXT --max-power-w N
      --energy-price N --time-price N --session-fee N [--operator NAME] [--out FILE]
  issue                 top up a user: --user KID --amount N (minor units)

options for register-pile and issue:
  --url URL     the running relay (default http://127.0.0.1:${DEFAULT_RELAY_PORT})
  --data DIR    where operator-key.json is (default ./data)`;

const options = {
  data: { type: 'string', default: 'data' },
  port: { type: 'string' },
  'database-url': { type: 'string' },
  rpc: { type: 'string' },
  key: { type: 'string' },
  address: { type: 'string' },
  url: { type: 'string', default: `http://127.0.0.1:${DEFAULT_RELAY_PORT}` },
  'pile-id': { type: 'string' },
  'public-key': { type: 'string' },
  label: { type: 'string' },
  'max-power-w': { type: 'string' },
  'energy-price': { type: 'string' },
  'time-price': { type: 'string' },
  'session-fee': { type: 'string' },
  operator: { type: 'string', default: 'operator' },
  out: { type: 'string' },
  user: { type: 'string' },
  amount: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new CliError(`missing --${name} (see: tapcharge relay --help)`, 2);
  return value;
}

function wholeNumber(values: Values, name: keyof Values): number {
  const text = required(values, name);
  if (!/^[0-9]{1,15}$/.test(text)) throw new CliError(`--${name} expected a whole number, got "${text}"`, 2);
  return Number(text);
}

async function start(values: Values): Promise<number> {
  const port = values.port === undefined ? DEFAULT_RELAY_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port expected 0..65535, got "${values.port}"`, 2);
  const databaseUrl = values['database-url'] ?? process.env['DATABASE_URL'];
  // Loaded here, not at the top: the operator errands below need none of the server's weight.
  const [{ startRelay }, { redactUrl }, { connectRpcLedger }, { parseAddress }] = await Promise.all([
    import('../relay/start-relay.ts'), import('../relay/storage/open-db.ts'), import('../ledger/rpc.ts'), import('../ledger/ids.ts'),
  ]);
  let ledger;
  if (values.rpc) {
    const key = values.key ?? process.env['TAPCHARGE_LEDGER_KEY'];
    if (!key || !values.address) throw new CliError('--rpc needs --key HEX (or TAPCHARGE_LEDGER_KEY) and --address ADDR', 2);
    try {
      ledger = await connectRpcLedger({ url: values.rpc, privateKey: key as `0x${string}`, address: parseAddress(values.address) });
    } catch (error) {
      // viem's messages run over several lines: the first says what failed, "Details:" why
      const lines = (error instanceof Error ? error.message : String(error)).split('\n');
      const details = lines.find((line) => line.startsWith('Details: '))?.slice('Details: '.length);
      throw new CliError(`--rpc ${redactUrl(values.rpc)}: ${lines[0]}${details ? ` (${details})` : ''}`);
    }
  }
  let relay;
  try {
    relay = await startRelay({ dataDir: values.data!, port, ...(databaseUrl ? { databaseUrl } : {}), ...(ledger ? { ledger } : {}) });
  } catch (error) {
    await ledger?.close();
    throw new CliError(`relay did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  console.log(`relay listening on ${relay.url}`);
  console.log(`relay public key ${relay.relayPublicKey} (kid ${relay.relayKid})`);
  console.log(`operator key ${join(values.data!, 'operator-key.json')} (kid ${bytesToHex(relay.operatorKey.kid)})`);
  console.log(`storage ${relay.storage === 'postgres' ? `postgres ${redactUrl(databaseUrl!)}` : `sqlite ${join(values.data!, 'relay.sqlite')}`}`);
  console.log(`ledger ${ledger ? 'rpc' : 'embedded'} ${relay.ledger.address}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await relay.close();
  await ledger?.close();
  console.log('relay stopped');
  return 0;
}

/** An operator errand against a running relay, signed with DATA/operator-key.json. */
async function asOperator<T>(values: Values, errand: (relay: RelayClient, operator: ReturnType<typeof readKeyFile>) => Promise<T>): Promise<T> {
  const operator = readKeyFile(join(values.data!, 'operator-key.json'), nodeEd25519);
  let relay: RelayClient;
  try {
    relay = new RelayClient({ baseUrl: values.url!, crypto: nodeEd25519 });
  } catch {
    throw new CliError(`--url expected http://HOST:PORT, got "${values.url}"`, 2);
  }
  try {
    return await errand(relay, operator);
  } catch (error) {
    if (error instanceof RelayError) throw new CliError(error.message);
    throw error;
  }
}

function hexOption(values: Values, name: keyof Values, bytes: number): Uint8Array {
  const text = required(values, name);
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(text)) throw new CliError(`--${name} expected ${bytes * 2} hex digits, got "${text}"`, 2);
  return hexToBytes(text);
}

async function registerPile(values: Values): Promise<number> {
  const out = values.out === undefined ? undefined : outputFile('--out', values.out);
  const pile = {
    pileId: hexOption(values, 'pile-id', 8),
    publicKey: hexOption(values, 'public-key', 32),
    operator: values.operator!,
    label: required(values, 'label'),
    maxPowerW: wholeNumber(values, 'max-power-w'),
    tariff: { energyMinorPerKwh: wholeNumber(values, 'energy-price'), timeMinorPerHour: wholeNumber(values, 'time-price'), sessionFeeMinor: wholeNumber(values, 'session-fee') },
  };
  const answer = await asOperator(values, (relay, operator) => relay.registerPile(operator, pile));
  console.log(`registered pile ${answer.pileId}, config version ${answer.configVersion}`);
  console.log(`relay public key ${bytesToHex(answer.relayPublicKey)}`);
  if (out) {
    writeFileSync(out, answer.pileUpdate);
    console.log(`provisioning PileUpdate written to ${values.out}`);
  } else {
    console.log(`pileUpdate ${bytesToBase64url(answer.pileUpdate)}`);
  }
  return 0;
}

async function issue(values: Values): Promise<number> {
  const userKid = hexOption(values, 'user', 8);
  const amountMinor = wholeNumber(values, 'amount');
  const answer = await asOperator(values, (relay, operator) => relay.issue(operator, userKid, amountMinor));
  console.log(`issued ${answer.amountMinor} to ${answer.userKid} (repaid advances ${answer.repaidMinor}): ${answer.status} ref ${answer.ref}`);
  return 0;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message} (see: tapcharge relay --help)`, 2);
  }
  const [command, ...extra] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    console.log(usage);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`, 2);
  switch (command) {
    case 'start': return start(parsed.values);
    case 'register-pile': return registerPile(parsed.values);
    case 'issue': return issue(parsed.values);
    default: throw new CliError(`unknown relay command "${command}" (see: tapcharge relay --help)`, 2);
  }
}
