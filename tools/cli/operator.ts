// `tapcharge operator …`: the operator's view of a running relay and its decisions, signed with
// DATA/operator-key.json through the relay's HTTP API (tools/relay/README.md, "Operator routes"):
// piles, users and the piles connected over OCPP as aligned tables (`--json` for scripts), a pile's tariff and configuration,
// disputed contracts settled or voided, refunds, and the accounting export as CSV.
// Exit codes: 0 done (a money decision still queued for the ledger says "pending"), 1 refused by
// the relay or no answer from it, 2 a usage mistake.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { utcTimeS } from '../relay-api/fields.ts';
import type { Answer } from '../relay-api/routes.ts';
import { DEFAULT_RELAY_PORT } from '../relay/defaults.ts';
import { asOperator } from './as-operator.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';
import { outputFile } from './cli-files.ts';
import { idempotencyKeyOption, moveOnce } from './idempotency-key.ts';

const usage = `usage: tapcharge operator <command> [options]

commands:
  piles                 every pile: config, tariff, last record, silent, gaps, sessions
  pile --pile-id HEX    one pile and its latest sessions
  users                 every user: balances, credit line, open and disputed contracts
  uplinks               the piles connected to this relay over OCPP 1.6J whose identity is proven:
                        since when, last message, the pile's clock offset, connector states
  tariff --pile-id HEX  publish a new configuration (phones write it into the pile at their next tap)
      --energy-price N --time-price N --session-fee N   (minor units per kWh, per hour, per session)
      [--label TEXT] [--max-power-w N]                  (the prices may be left out when one of these is given)
  resolve --contract ID --settle|--void --reason TEXT
                        decide a disputed contract: settle it on its receipt, or void it (nothing charged)
  refund --contract ID --amount N --reason TEXT [--idempotency-key HEX]
                        refund a settled contract from the revenue account (at most what it charged);
                        --idempotency-key retries a refund whose answer was lost (the key its error named)
  export --from DATE --to DATE [--out FILE]
                        sessions settled in [from, to) as CSV (RFC 4180); DATE is YYYY-MM-DD or
                        YYYY-MM-DDThh:mm:ssZ (UTC); to stdout unless --out

options:
  --url URL     the running relay (default http://127.0.0.1:${DEFAULT_RELAY_PORT})
  --data DIR    where operator-key.json is (default ./data)
  --json        print the relay's answer as JSON (piles, pile, users, uplinks, tariff, resolve, refund)

exit codes: 0 done, 1 refused by the relay or no answer, 2 usage mistake`;

const options = {
  url: { type: 'string', default: `http://127.0.0.1:${DEFAULT_RELAY_PORT}` },
  data: { type: 'string', default: 'data' },
  json: { type: 'boolean', default: false },
  'pile-id': { type: 'string' },
  'energy-price': { type: 'string' },
  'time-price': { type: 'string' },
  'session-fee': { type: 'string' },
  label: { type: 'string' },
  'max-power-w': { type: 'string' },
  contract: { type: 'string' },
  settle: { type: 'boolean', default: false },
  void: { type: 'boolean', default: false },
  reason: { type: 'string' },
  amount: { type: 'string' },
  'idempotency-key': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];
type StringOption = NonNullable<{ [K in keyof Values]-?: Values[K] extends string | undefined ? K : never }[keyof Values]>;
type OperatorPile = Answer<'operatorPiles', 200>['piles'][number];
type OperatorSession = Answer<'operatorPile', 200>['recentSessions'][number];
type OperatorUplink = Answer<'operatorUplinks', 200>['uplinks'][number];

function required(values: Values, name: StringOption): string {
  const value = values[name];
  if (value === undefined || value === '') throw new CliError(`missing --${name} (see: tapcharge operator --help)`, 2);
  return value;
}

function wholeNumber(values: Values, name: StringOption): number {
  const text = required(values, name);
  if (!/^[0-9]{1,15}$/.test(text)) throw new CliError(`--${name} expected a whole number, got "${text}"`, 2);
  return Number(text);
}

function hexOption(values: Values, name: StringOption, bytes: number): string {
  const text = required(values, name);
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(text)) throw new CliError(`--${name} expected ${bytes * 2} hex digits, got "${text}"`, 2);
  return text.toLowerCase();
}

// ---- text for people ----

/** Texts from the relay (labels, names, reasons) on one line: control characters shown as "?". */
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

const isoTime = (atS: number | undefined): string => (atS === undefined ? '-' : new Date(atS * 1000).toISOString().replace('.000Z', 'Z'));

/** Columns padded to their widest cell; numbers right-aligned. */
function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((row) => row.map((c) => (typeof c === 'number' ? String(c) : oneLine(c))));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number'));
  return cells.map((row) => row.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

const tariffText = (t: OperatorPile['tariff']) => `v${t.version} ${t.energyMinorPerKwh}/kWh ${t.timeMinorPerHour}/h fee ${t.sessionFeeMinor}`;
const rangesText = (ranges: readonly { fromSeq: number; toSeq: number }[]) => (ranges.length === 0 ? '-' : ranges.map((r) => (r.fromSeq === r.toSeq ? `${r.fromSeq}` : `${r.fromSeq}-${r.toSeq}`)).join(','));

function pilesTable(piles: readonly OperatorPile[]): string {
  return table(
    ['PILE', 'LABEL', 'CFG', 'TARIFF', 'LAST SEEN', 'SILENT', 'RECORDS', 'GAPS', 'NO RECEIPT', 'SETTLED', 'AMOUNT', 'REFUNDED', 'DISPUTED'],
    piles.map((p) => [
      p.pileId, p.label, p.configVersion, tariffText(p.tariff), p.lastSeenAtS === undefined ? 'never' : isoTime(p.lastSeenAtS), p.silent ? 'silent' : '',
      p.records, rangesText(p.gaps), p.contractsWithoutReceipt, p.sessions.settled + p.sessions.corrected, p.sessions.settledAmountMinor,
      p.sessions.refundedMinor, p.sessions.disputed,
    ]),
  );
}

const silentNote = (silentAfterS: number) => `silent: no record for more than ${silentAfterS} s (${Math.round(silentAfterS / 3600)} h); amounts in minor units`;

function sessionsTable(sessions: readonly OperatorSession[]): string {
  return table(
    ['CONTRACT', 'SEQ', 'USER', 'MODE', 'STATUS', 'START', 'END', 'ENERGY WH', 'AMOUNT', 'REFUNDED', 'RESOLUTION'],
    sessions.map((s) => [
      s.contractId, s.seq, s.userKid, s.mode, s.status, isoTime(s.startAtS), isoTime(s.endAtS), s.energyWh ?? '-', s.amountMinor ?? '-', s.refundedMinor,
      s.resolution?.decision ?? '',
    ]),
  );
}

function usersTable(users: Answer<'operatorUsers', 200>['users']): string {
  return table(
    ['KID', 'NAME', 'BALANCE', 'ESCROW', 'BOOK', 'CREDIT USED', 'CREDIT LIMIT', 'OPEN', 'DISPUTED', 'SETTLED', 'SETTLED AMOUNT', 'LATE', 'REFUNDED'],
    users.map((u) => [
      u.kid, u.displayName, u.balanceMinor, u.escrowMinor, u.bookBalanceMinor, u.creditUsedMinor, u.creditLimitMinor, u.openContracts, u.disputedContracts,
      u.settledSessions, u.settledAmountMinor, u.lateReceipts, u.refundedMinor,
    ]),
  );
}

/** "0 Available, 1 Faulted (OtherError)": each connector's last StatusNotification, the error code unless NoError. */
const connectorsText = (connectors: OperatorUplink['connectors']) => (connectors.length === 0
  ? '-'
  : connectors.map((c) => `${c.connectorId} ${c.status}${c.errorCode === 'NoError' ? '' : ` (${c.errorCode})`}`).join(', '));

function uplinksTable(uplinks: readonly OperatorUplink[]): string {
  return table(
    ['PILE', 'CONNECTED', 'PROVEN', 'LAST SEEN', 'CLOCK OFFSET', 'CONNECTOR STATES'],
    uplinks.map((u) => [
      u.pileId, isoTime(u.connectedAtS), isoTime(u.provenAtS), isoTime(u.lastSeenAtS), `${u.pileClockOffsetS >= 0 ? '+' : ''}${u.pileClockOffsetS} s`, connectorsText(u.connectors),
    ]),
  );
}

const print = (values: Values, answer: unknown, text: () => string) => console.log(values.json ? JSON.stringify(answer, null, 2) : text());
const ledgerText = (a: { status: 'applied' | 'pending'; txHash?: string }) => (a.status === 'applied' ? `on the ledger${a.txHash ? ` (tx ${a.txHash})` : ''}` : 'queued for the ledger (pending)');
const repeatedText = (a: { repeated?: true }) => (a.repeated ? ' (made earlier: nothing moved again)' : '');

// ---- commands ----

async function piles(values: Values): Promise<number> {
  const answer = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => relay.operatorPiles(operator));
  print(values, answer, () => `${pilesTable(answer.piles)}\n${silentNote(answer.silentAfterS)}`);
  return 0;
}

async function pile(values: Values): Promise<number> {
  const pileId = hexOption(values, 'pile-id', 8);
  const answer = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => relay.operatorPile(operator, hexToBytes(pileId)));
  print(values, answer, () => {
    const p = answer.pile;
    return [
      pilesTable([p]),
      `operator ${oneLine(p.operator)}, max power ${p.maxPowerW} W, registered ${isoTime(p.registeredAtS)}, held ${rangesText(p.held)}`,
      `sessions: ${p.sessions.provisional} provisional, ${p.sessions.chargedAtCap} charged at cap, ${p.sessions.settled} settled, ${p.sessions.corrected} corrected, ${p.sessions.disputed} disputed, ${p.sessions.voided} voided; ${p.sessions.settledEnergyWh} Wh settled`,
      silentNote(answer.silentAfterS),
      '',
      answer.recentSessions.length === 0 ? 'no sessions' : sessionsTable(answer.recentSessions),
    ].join('\n');
  });
  return 0;
}

async function users(values: Values): Promise<number> {
  const answer = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => relay.operatorUsers(operator));
  print(values, answer, () => `${usersTable(answer)}\namounts in minor units; BOOK is the balance once queued ledger writes land`);
  return 0;
}

async function uplinks(values: Values): Promise<number> {
  const answer = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => relay.operatorUplinks(operator));
  print(values, answer, () => (answer.uplinks.length === 0
    ? 'no pile connected over OCPP'
    : `${uplinksTable(answer.uplinks)}\nCLOCK OFFSET: the pile's clock minus the relay's when it proved its identity; connector 0 is the pile, 1 its outlet`));
  return 0;
}

async function tariff(values: Values): Promise<number> {
  const pileId = hexOption(values, 'pile-id', 8);
  const prices = ['energy-price', 'time-price', 'session-fee'] as const;
  const given = prices.filter((name) => values[name] !== undefined);
  if (given.length > 0 && given.length < prices.length) throw new CliError(`a tariff needs all three prices: missing --${prices.find((name) => values[name] === undefined)}`, 2);
  const changes = {
    ...(given.length > 0 && { tariff: { energyMinorPerKwh: wholeNumber(values, 'energy-price'), timeMinorPerHour: wholeNumber(values, 'time-price'), sessionFeeMinor: wholeNumber(values, 'session-fee') } }),
    ...(values.label !== undefined && { label: values.label }),
    ...(values['max-power-w'] !== undefined && { maxPowerW: wholeNumber(values, 'max-power-w') }),
  };
  if (Object.keys(changes).length === 0) throw new CliError('give the three prices (--energy-price, --time-price, --session-fee), --label or --max-power-w', 2);
  const { offer, entry } = await asOperator({ url: values.url!, dataDir: values.data! }, async (relay, operator) => {
    const offer = await relay.configurePile(operator, hexToBytes(pileId), changes);
    return { offer, entry: await relay.pile(hexToBytes(pileId)) };
  });
  print(values, { configVersion: offer.configVersion, pile: entry }, () => [
    `pile ${pileId} config version ${offer.configVersion}: "${oneLine(entry.label)}", ${entry.maxPowerW} W, tariff ${tariffText(entry.tariff)}`,
    'phones write the relay-signed update into the pile at their next tap there',
  ].join('\n'));
  return 0;
}

async function resolve(values: Values): Promise<number> {
  const contractId = hexOption(values, 'contract', 16);
  if (values.settle === values.void) throw new CliError('give one of --settle or --void', 2);
  const reason = required(values, 'reason');
  const answer = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => relay.resolveContract(operator, contractId, values.settle ? 'settle' : 'void', reason));
  print(values, answer, () => {
    const what = answer.decision === 'settle'
      ? `settled for ${answer.amountMinor}${answer.advanceMinor ? ` (an advance of ${answer.advanceMinor} funded the cap)` : ''}, ${ledgerText(answer)}`
      : 'voided: nothing charged';
    return `contract ${answer.contractId} ${what}${repeatedText(answer)}`;
  });
  return 0;
}

async function refund(values: Values): Promise<number> {
  const contractId = hexOption(values, 'contract', 16);
  const amountMinor = wholeNumber(values, 'amount');
  const reason = required(values, 'reason');
  const answer = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => {
    const key = idempotencyKeyOption(values['idempotency-key'], () => relay.newIdempotencyKey());
    return moveOnce('refund', key, () => relay.refundContract(operator, contractId, amountMinor, reason, key));
  });
  print(values, answer, () => `refunded ${answer.amountMinor} of contract ${answer.contractId} to ${answer.userKid} (${answer.refundedMinor} of ${answer.chargedMinor} refunded in all), ${ledgerText(answer)}, ref ${answer.ref}${repeatedText(answer)}`);
  return 0;
}

function utcTimeOption(values: Values, name: 'from' | 'to'): string {
  const text = required(values, name);
  if (utcTimeS(text) === undefined) throw new CliError(`--${name} expected a UTC date YYYY-MM-DD or time YYYY-MM-DDThh:mm:ssZ, got "${text}"`, 2);
  return text;
}

async function exportCsv(values: Values): Promise<number> {
  const from = utcTimeOption(values, 'from');
  const to = utcTimeOption(values, 'to');
  if (utcTimeS(to)! <= utcTimeS(from)!) throw new CliError(`--to expected a time after --from (${from}), got "${to}"`, 2);
  const out = values.out === undefined ? undefined : outputFile('--out', values.out);
  const csv = await asOperator({ url: values.url!, dataDir: values.data! }, (relay, operator) => relay.operatorSessionsCsv(operator, from, to));
  if (!out) {
    process.stdout.write(csv);
    return 0;
  }
  writeFileSync(out, csv);
  const sessions = csv.split('\r\n').length - 2; // a CRLF after each record, the header first
  console.log(`${sessions} session(s) settled in [${from}, ${to}) written to ${values.out}`);
  return 0;
}

const commands: Record<string, (values: Values) => Promise<number>> = { piles, pile, users, uplinks, tariff, resolve, refund, export: exportCsv };

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw argsError(error, args, 'operator');
  }
  const [command, ...extra] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    console.log(usage);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`, 2);
  const handler = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!handler) throw new CliError(`unknown operator command "${command}" (see: tapcharge operator --help)`, 2);
  return handler(parsed.values);
}
