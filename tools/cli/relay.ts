// `tapcharge relay …`: run the verifier relay, the operator's errands against a running one
// (signed with DATA/operator-key.json through the relay's HTTP API; reading a provisioning record
// again needs no key), and the audit of a relay's data folder.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { writeProvisioningFile } from '../pile-sim/provisioning-source.ts';
import { type PileProvisioning, provisioningToJson } from '../relay-api/provisioning-record.ts';
import { DEFAULT_RELAY_PORT, RELAY_HOST } from '../relay/defaults.ts';
import { asOperator, withRelay } from './as-operator.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';
import { dataFolder, outputFile, readBounded } from './cli-files.ts';
import { idempotencyKeyOption, moveOnce } from './idempotency-key.ts';

/** A PEM certificate chain or key: a few KiB; anything near this bound is not one. */
const TLS_PEM_MAX_BYTES = 256 * 1024;

const usage = `usage: tapcharge relay <command> [options]

commands:
  start                 run the relay until SIGINT/SIGTERM
      [--data DIR] [--port N] [--database-url URL | env DATABASE_URL]
      [--rpc URL --key HEX --address ADDR]   settle on a JSON-RPC chain instead of the embedded one
      [--host ADDR]         listen address (default 127.0.0.1: this machine only; 0.0.0.0 all)
      [--tls-cert FILE --tls-key FILE]      serve HTTPS with this PEM certificate chain and key
      [--request-log FILE]  one JSON line per request (default DATA/requests.log; - for stderr)
  register-pile         register a pile (--public-key: the key its key store holds) and print its
                        provisioning record, or write it to --out FILE: the relay's answer as JSON
                        {pileId, relayPublicKey, pilePublicKey, configVersion, pileUpdate}, the file
                        tapcharge pile serve --provisioning reads
      --pile-id HEX --public-key HEX --label TEXT --max-power-w N
      --energy-price N --time-price N --session-fee N [--operator NAME] [--out FILE]
  provisioning          the provisioning record of a pile registered before (again after a run that
      --pile-id HEX [--out FILE]   failed half way), with its current PileUpdate; JSON as above
  issue                 top up a user: --user KID --amount N (minor units)
      [--idempotency-key HEX]   retry a top-up whose answer was lost (the key its error named)
  audit                 re-derive every figure the relay stores from the signed records, the relay's
      [--data DIR]      signatures and the ledger (the relay stopped); one line PASS, or FAIL and
                        the first row that disagrees; exit 0 PASS, 1 FAIL or unreadable data
  dashboard             log in as the operator and print the link that opens the operators'
                        dashboard in a browser (a session token: reads only, 12 h; keep it private)

options for register-pile, provisioning, issue and dashboard:
  --url URL     the running relay (default http://127.0.0.1:${DEFAULT_RELAY_PORT})
  --data DIR    where operator-key.json is (default ./data)`;

const options = {
  data: { type: 'string', default: 'data' },
  port: { type: 'string' },
  'database-url': { type: 'string' },
  host: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'request-log': { type: 'string' },
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
  'idempotency-key': { type: 'string' },
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
  const host = values.host ?? RELAY_HOST;
  if (isIP(host) === 0) throw new CliError(`--host expected an IP address such as 127.0.0.1, 0.0.0.0 or ::, got "${host}"`, 2);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new CliError('--tls-cert and --tls-key go together', 2);
  const tls = values['tls-cert'] === undefined ? undefined : { cert: readBounded(values['tls-cert'], TLS_PEM_MAX_BYTES), key: readBounded(values['tls-key']!, TLS_PEM_MAX_BYTES) };
  const requestLogPath = values['request-log'] ?? join(values.data!, 'requests.log'); // the data folder is made at start
  if (values['request-log'] !== undefined && requestLogPath !== '-') outputFile('--request-log', requestLogPath);
  // Loaded here, not at the top: the operator errands below need none of the server's weight.
  const [{ startRelay, checkTls }, { redactUrl }, { connectRpcLedger }, { parseAddress }, { pino }] = await Promise.all([
    import('../relay/start-relay.ts'), import('../relay/storage/open-db.ts'), import('../ledger/rpc.ts'), import('../ledger/ids.ts'), import('pino'),
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
  if (tls) {
    try {
      checkTls(tls);
    } catch (error) {
      throw new CliError(`relay did not start: --tls-cert/--tls-key: ${(error as Error).message}`);
    }
  }
  // A start that fails (a busy port, a database that refuses) leaves no folder it made behind.
  const dataDir = dataFolder('--data', values.data!);
  const existed = existsSync(dataDir);
  const wasEmpty = !existed || readdirSync(dataDir).length === 0;
  const requestLog = requestLogPath === '-' ? pino.destination(2) : pino.destination({ dest: requestLogPath, append: true, mkdir: true, sync: true });
  let relay;
  try {
    relay = await startRelay({ dataDir, port, host, requestLog, ...(tls && { tls }), ...(databaseUrl ? { databaseUrl } : {}), ...(ledger ? { ledger } : {}) });
  } catch (error) {
    await ledger?.close();
    if (requestLogPath !== '-') requestLog.end();
    if (!existed) rmSync(dataDir, { recursive: true, force: true });
    else if (wasEmpty) for (const entry of readdirSync(dataDir)) rmSync(join(dataDir, entry), { recursive: true, force: true });
    throw new CliError(`relay did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  console.log(`relay listening on ${relay.url} (OCPP 1.6J for piles: ${relay.ocppUrl}<pileId>)`);
  console.log(`relay public key ${relay.relayPublicKey} (kid ${relay.relayKid})`);
  console.log(`operator key ${join(values.data!, 'operator-key.json')} (kid ${bytesToHex(relay.operatorKey.kid)})`);
  console.log(`storage ${relay.storage === 'postgres' ? `postgres ${redactUrl(databaseUrl!)}` : `sqlite ${join(values.data!, 'relay.sqlite')}`}`);
  console.log(`ledger ${ledger ? 'rpc' : 'embedded'} ${relay.ledger.address}`);
  console.log(`request log ${requestLogPath === '-' ? 'stderr' : requestLogPath}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await relay.close();
  await ledger?.close();
  requestLog.flushSync();
  console.log('relay stopped');
  return 0;
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
  const record = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => relay.registerPile(operator, pile));
  console.log(`registered pile ${bytesToHex(record.pileId)}, config version ${record.configVersion}`);
  printProvisioning(record, out);
  return 0;
}

/** The record on stdout (one JSON line), or written to `out` (the file pile serve --provisioning reads). */
function printProvisioning(record: PileProvisioning, out: string | undefined): void {
  console.log(`relay public key ${bytesToHex(record.relayPublicKey)}`);
  if (out) {
    writeProvisioningFile(out, record);
    console.log(`provisioning record written to ${out}`);
  } else {
    console.log(`provisioning record ${JSON.stringify(provisioningToJson(record))}`);
  }
}

async function provisioning(values: Values): Promise<number> {
  const out = values.out === undefined ? undefined : outputFile('--out', values.out);
  const pileId = hexOption(values, 'pile-id', 8);
  const record = await withRelay(values.url!, (relay) => relay.pileProvisioning(pileId));
  console.log(`pile ${bytesToHex(record.pileId)}, config version ${record.configVersion} (the current one), billing from seq ${record.firstBillingSeq}`);
  printProvisioning(record, out);
  return 0;
}

async function audit(values: Values): Promise<number> {
  const dataDir = dataFolder('--data', values.data!);
  if (!existsSync(dataDir)) throw new CliError(`--data ${values.data}: no such folder`, 2);
  // Loaded here, not at the top: the operator errands need none of the audit's weight.
  const [{ auditRelay }, { withRelayData }] = await Promise.all([import('../relay/audit/audit-relay.ts'), import('../relay/audit/open-relay-data.ts')]);
  const result = await withRelayData(dataDir, ({ db, ledger, anchors }) => auditRelay(db, ledger, { anchors }));
  if (!result.ok) {
    const n = result.disagreements.length;
    console.log(`audit FAIL: ${n} disagreement${n === 1 ? '' : 's'} between the stored rows and the signed records, the relay's signatures and the ledger; the first:`);
    console.log(result.disagreements[0]);
    return 1;
  }
  const rows = Object.values(result.rows).reduce((sum, r) => sum + r, 0);
  console.log(`audit PASS: ${rows} stored rows re-derived from ${result.recordsVerified} pile-signed records, ${result.relaySignedVerified} relay-signed vouchers, configs and service authorisations and ${result.ledger.events} ledger events`);
  return 0;
}

async function issue(values: Values): Promise<number> {
  const userKid = hexOption(values, 'user', 8);
  const amountMinor = wholeNumber(values, 'amount');
  const answer = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => {
    const key = idempotencyKeyOption(values['idempotency-key'], () => relay.newIdempotencyKey());
    return moveOnce('top-up', key, () => relay.issue(operator, userKid, amountMinor, key));
  });
  const repeated = answer.repeated ? ' (made earlier under this idempotency key: nothing moved again)' : '';
  console.log(`issued ${answer.amountMinor} to ${answer.userKid} (repaid advances ${answer.repaidMinor}): ${answer.status} ref ${answer.ref}${repeated}`);
  return 0;
}

async function dashboard(values: Values): Promise<number> {
  const { dashboardLink } = await import('../relay/routes/dashboard-link.ts');
  const { link, expiresAtS } = await asOperator({ url: values.url!, dataDir: values.data! }, async (relay, operator) => {
    const session = await relay.operatorSession(operator);
    return { link: dashboardLink(relay.baseUrl, session.token), expiresAtS: session.expiresAtS };
  });
  console.log(`dashboard ${link}`);
  console.log(`the link logs in whoever opens it, for reads only, until ${new Date(expiresAtS * 1000).toISOString().replace('.000Z', 'Z')} (relay clock)`);
  return 0;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw argsError(error, args, 'relay');
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
    case 'provisioning': return provisioning(parsed.values);
    case 'issue': return issue(parsed.values);
    case 'audit': return audit(parsed.values);
    case 'dashboard': return dashboard(parsed.values);
    default: throw new CliError(`unknown relay command "${command}" (see: tapcharge relay --help)`, 2);
  }
}
