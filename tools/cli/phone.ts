// `tapcharge phone …`: the phone simulator — a driver's wallet in a JSON file, tapping a pile
// simulator (`tapcharge pile serve`) over the TCP bridge, or a card in a PC/SC reader (--pcsc),
// and talking to a relay.
import { parseArgs } from 'node:util';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { DISPLAY_NAME_MAX_BYTES } from '../../contracts-offline/messages/fields.ts';
import { type ChargeLimit, chargeLimitOf, isChargeMode } from '../../contracts-offline/charge-limit.ts';
import { Phone } from '../phone/phone.ts';
import { PhoneError } from '../phone/errors.ts';
import { PileAnswerError, PileRefusedError } from '../phone/errors.ts';
import { RelayError, RelayUnreachableError } from '../phone/errors.ts';
import type { SyncReport } from '../phone/phone-sync.ts';
import { LazyTcpTap, parsePileAddress } from '../phone/tcp-transport.ts';
import { type PcscBinding, PcscTap } from '../phone/pcsc-transport.ts';
import type { IsoDepTransport } from '../phone/pile-reader.ts';
import { ApduTooLongError } from '../phone/errors.ts';
import { PileLinkError } from '../phone/errors.ts';
import { readWalletFile, writeWalletFile } from '../phone/wallet-file.ts';
import { WalletFileError } from '../phone/errors.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';
import { idempotencyKeyOption, moveOnce } from './idempotency-key.ts';
import { describeAccount, describeCarried, describeContract, describeScreen, describeSync, describeUpload, describeWallet } from './phone-output.ts';
import { withOptionalValue } from './optional-value.ts';
import { chargeOverChannel } from './phone-charge.ts';

const usage = `usage: tapcharge phone <command> [--wallet FILE] [options]

commands:
  keygen --name NAME [--relay URL] [--force]   new wallet: a user key and display name
  register [--relay URL]                       register the user's key at the relay
  tap PILE [MODE]                              tap 1: show the pile, write a newer config, carry records;
                                               with MODE also: ask the relay for a voucher, then tap 2 (start)
  start PILE [MODE]                            tap 2 with the voucher held (or a new one for MODE)
  cancel                                       cancel the voucher held: the relay no longer reserves its cap
  stop PILE                                    stop the running contract (user stop tap)
  collect PILE                                 final / any tap: hand the pile its ack, take its receipts
  charge --pile-id ID MODE [--stop-after-s N]  networked mode: through the relay to a pile connected over
                                               OCPP (ID as its display code shows it), no tap; live status
                                               until the pile ends the session, or Ctrl-C / N s stops it
  sync                                         upload every carried record, fetch acks, cancel refused vouchers
  balance                                      balance, escrow, credit and contracts at the relay
  show                                         what the wallet holds (offline)
  transfer --to KID --amount-minor N           send credit to another user
    [--idempotency-key HEX]                    retry a transfer whose answer was lost (the key its error named)

PILE: --pile HOST:PORT                       a pile simulator's TCP bridge (\`tapcharge pile serve\`)
      --pcsc [READER]                        the card in a PC/SC reader (default: the first reader holding
                                             one), e.g. "Virtual PCD 00 00" for \`pile serve --vpcd\`;
                                             needs pcscd and the optional npm package pcsclite
MODE: --mode amount --amount-minor N | --mode time --duration-s N | --mode energy --energy-wh N | --mode full
Every tap releases the pile's field, then syncs (only tap 1 asks the relay while held to the pile).
--wallet FILE defaults to ./wallet.json (mode 0600: it holds the user's secret key).`;

const options = {
  wallet: { type: 'string' },
  name: { type: 'string' },
  relay: { type: 'string' },
  force: { type: 'boolean' },
  pile: { type: 'string' },
  'pile-id': { type: 'string' },
  'stop-after-s': { type: 'string' },
  pcsc: { type: 'string' },
  mode: { type: 'string' },
  'amount-minor': { type: 'string' },
  'duration-s': { type: 'string' },
  'energy-wh': { type: 'string' },
  to: { type: 'string' },
  'idempotency-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = { [K in keyof typeof options]?: (typeof options)[K]['type'] extends 'boolean' ? boolean : string };

const allowed: Record<string, readonly (keyof Values)[]> = {
  keygen: ['name', 'relay', 'force'],
  register: ['relay'],
  tap: ['pile', 'pcsc', 'mode', 'amount-minor', 'duration-s', 'energy-wh'],
  start: ['pile', 'pcsc', 'mode', 'amount-minor', 'duration-s', 'energy-wh'],
  cancel: [],
  stop: ['pile', 'pcsc'],
  collect: ['pile', 'pcsc'],
  charge: ['pile-id', 'mode', 'amount-minor', 'duration-s', 'energy-wh', 'stop-after-s'],
  sync: [],
  balance: [],
  show: [],
  transfer: ['to', 'amount-minor', 'idempotency-key'],
};

function positiveInt(text: string | undefined, flag: string): number {
  if (text === undefined) throw new CliError(`--${flag} N is required for this mode`, 2);
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > 0xffff_ffff) throw new CliError(`--${flag} expected a whole number 1..4294967295, got "${text}"`, 2);
  return Number(text);
}

function chargeLimit(v: Values): ChargeLimit | undefined {
  const unitFlags = { amount: 'amount-minor', time: 'duration-s', energy: 'energy-wh' } as const;
  const given = (['amount-minor', 'duration-s', 'energy-wh'] as const).filter((f) => v[f] !== undefined);
  if (v.mode === undefined) {
    if (given.length > 0) throw new CliError(`--${given[0]} needs --mode`, 2);
    return undefined;
  }
  const mode = v.mode;
  if (!isChargeMode(mode)) throw new CliError(`--mode expected amount, time, energy or full, got "${mode}"`, 2);
  const expected = mode === 'full' ? undefined : unitFlags[mode];
  const stray = given.find((f) => f !== expected);
  if (stray) throw new CliError(`--${stray} does not go with --mode ${mode}`, 2);
  const limit = chargeLimitOf(mode, expected === undefined ? undefined : positiveInt(v[expected], expected));
  if (!limit.ok) throw new CliError(limit.reason, 2);
  return limit.value;
}

function openPhone(walletPath: string, relayOverride?: string): Phone {
  const state = readWalletFile(walletPath);
  if (relayOverride) state.relayUrl = relayOverride;
  return new Phone({ state, save: (s) => writeWalletFile(walletPath, s) });
}

// The optional dependency is loaded only for --pcsc, by a computed name: a machine where it did
// not build (no libpcsclite-dev) still type-checks and runs every other command.
async function loadPcscBinding(): Promise<PcscBinding> {
  const name = 'pcsclite';
  try {
    return ((await import(name)) as { default: PcscBinding }).default;
  } catch (error) {
    const why = (error as Error).message.split('\n')[0];
    throw new CliError(`--pcsc needs the optional npm package pcsclite, built at install against libpcsclite-dev (apt-get install libpcsclite-dev pcscd, then npm install): ${why}`);
  }
}

/** One tap of the pile named by --pile (TCP bridge) or --pcsc (a PC/SC reader); ended however `work` ends. */
async function withTap<T>(v: Values, work: (tap: IsoDepTransport) => Promise<T>): Promise<T> {
  if (v.pile !== undefined && v.pcsc !== undefined) throw new CliError('give either --pile HOST:PORT or --pcsc [READER], not both', 2);
  let tap: IsoDepTransport & { end(): Promise<void> };
  if (v.pcsc !== undefined) {
    tap = new PcscTap(await loadPcscBinding(), { readerName: v.pcsc });
  } else {
    if (!v.pile) throw new CliError('--pile HOST:PORT is required (the port `tapcharge pile serve` printed), or --pcsc [READER] for a PC/SC reader', 2);
    let address;
    try {
      address = parsePileAddress(v.pile);
    } catch (error) {
      throw new CliError(`--pile: ${(error as Error).message.replace(/^tcp-transport: /, '')}`, 2);
    }
    tap = new LazyTcpTap(address);
  }
  try {
    return await work(tap);
  } finally {
    await tap.end();
  }
}

/** The upload after a tap; an unreachable relay is not an error (the records stay in the wallet). */
async function syncAfterTap(phone: Phone): Promise<SyncReport | { offline: string }> {
  if (!phone.relay) return { offline: 'no relay configured' };
  try {
    return await phone.sync();
  } catch (error) {
    if (error instanceof RelayUnreachableError) return { offline: error.message };
    throw error;
  }
}

/**
 * One tap, the field released, then the upload — after a failed tap too, so what it received and
 * a voucher a refused START cancels reach the relay now.
 */
async function tapThenSync<T>(v: Values, phone: Phone, flow: (tap: IsoDepTransport) => Promise<T>, describe: (report: T) => string): Promise<T> {
  const outcome = await withTap(v, flow).then((report) => ({ ok: true as const, report }), (error: unknown) => ({ ok: false as const, error }));
  if (!outcome.ok && (outcome.error instanceof CliError || outcome.error instanceof PhoneError)) throw outcome.error; // the phone received nothing new
  if (outcome.ok) console.log(describe(outcome.report));
  console.log('field released');
  console.log(describeUpload(await syncAfterTap(phone)));
  if (!outcome.ok) throw outcome.error;
  return outcome.report;
}

async function command(name: string, v: Values, walletPath: string): Promise<void> {
  switch (name) {
    case 'keygen': {
      if (!v.name) throw new CliError('--name NAME is required (shown on the pile at tap 1)', 2);
      const nameBytes = Buffer.byteLength(v.name, 'utf8');
      if (nameBytes > DISPLAY_NAME_MAX_BYTES) throw new CliError(`--name expected at most ${DISPLAY_NAME_MAX_BYTES} UTF-8 bytes (the pile's display), got ${nameBytes}`, 2);
      if (v.relay) parseRelayUrl(v.relay);
      const phone = Phone.create({ displayName: v.name, ...(v.relay && { relayUrl: v.relay }) });
      writeWalletFile(walletPath, phone.state, { create: v.force !== true });
      console.log(`wallet ${walletPath}: user ${phone.kid} "${phone.displayName}"${v.relay ? ` relay ${v.relay}` : ''}`);
      return;
    }
    case 'register': {
      if (v.relay) parseRelayUrl(v.relay);
      const phone = openPhone(walletPath, v.relay);
      const done = await phone.register();
      console.log(done ? `registered ${phone.kid} at ${phone.relay!.baseUrl}: ledger account ${done.address}` : `${phone.kid} was already registered at ${phone.relay!.baseUrl}`);
      return;
    }
    case 'tap':
    case 'start': {
      const limit = chargeLimit(v);
      const phone = openPhone(walletPath);
      if (name === 'tap' || limit) {
        const hello = await tapThenSync(v, phone, (tap) => phone.tapHello(tap), (r) => `${describeScreen(r.screen)}\n${describeCarried(r)}`);
        if (!limit) return;
        if (!hello.screen.modes.includes(limit.mode)) throw new CliError(`the pile is ${hello.screen.state}: it offers no charging now`);
        const voucher = await phone.requestVoucher(limit);
        console.log(`voucher ${voucher.voucherId}: cap ${voucher.capMinor} (minor units), valid until ${new Date(voucher.expiresAtS * 1000).toISOString()}`);
      }
      await tapThenSync(v, phone, (tap) => phone.tapStart(tap), (r) => `contract ${describeContract(r.contract)}\n${describeCarried(r)}`);
      return;
    }
    case 'cancel': {
      const cancelled = await openPhone(walletPath).cancelVoucher();
      console.log(`voucher ${cancelled.voucherId} cancelled: ${cancelled.releasedMinor} (minor units) no longer reserved`);
      return;
    }
    case 'stop': {
      const phone = openPhone(walletPath);
      await tapThenSync(v, phone, (tap) => phone.tapStop(tap), (stopped) => {
        const r = stopped.receipt.message;
        return `receipt seq ${r.seq} for contract ${r.contractSeq}: ${r.endReason}, ${r.energyWh} Wh, ${r.durationS} s, amount ${r.amountMinor}\n${describeCarried(stopped)}`;
      });
      return;
    }
    case 'collect': {
      const phone = openPhone(walletPath);
      await tapThenSync(v, phone, (tap) => phone.tapCollect(tap), (r) => [
        describeCarried(r),
        `the pile still holds ${r.pileStillHolds} unacknowledged record(s)${r.outboxLeft > 0 ? `, ${r.outboxLeft} not taken yet: tap again` : ''}`,
      ].join('\n'));
      return;
    }
    case 'charge': {
      const phone = openPhone(walletPath);
      const stopAfterS = v['stop-after-s'] === undefined ? undefined : positiveInt(v['stop-after-s'], 'stop-after-s');
      await chargeOverChannel(phone, v['pile-id'], chargeLimit(v), stopAfterS);
      console.log(describeUpload(await syncAfterTap(phone)));
      return;
    }
    case 'sync': {
      const phone = openPhone(walletPath);
      console.log(describeSync(await phone.sync()));
      return;
    }
    case 'balance': {
      const phone = openPhone(walletPath);
      console.log(describeAccount(await phone.account()));
      return;
    }
    case 'show':
      console.log(describeWallet(openPhone(walletPath)));
      return;
    case 'transfer': {
      if (!v.to || !/^[0-9a-f]{16}$/.test(v.to)) throw new CliError(`--to expected a user key id (16 lowercase hex digits), got ${JSON.stringify(v.to ?? '')}`, 2);
      const amountMinor = positiveInt(v['amount-minor'], 'amount-minor');
      const phone = openPhone(walletPath);
      const relay = phone.relay!;
      const key = idempotencyKeyOption(v['idempotency-key'], () => relay.newIdempotencyKey());
      const answer = await moveOnce('transfer', key, () => relay.transfer(phone.keyPair, hexToBytes(v.to!), amountMinor, key));
      console.log(`transferred ${amountMinor} to ${v.to}${answer.repeated ? ' (made earlier under this idempotency key: nothing moved again)' : ''}`);
      return;
    }
  }
}

function parseRelayUrl(text: string): void {
  if (!/^https?:\/\/[^/?#]+\/?$/.test(text)) throw new CliError(`--relay expected http://HOST:PORT, got "${text}"`, 2);
}

export async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage);
    return name === undefined ? 2 : 0;
  }
  if (!(name in allowed)) throw new CliError(`unknown phone command "${name}" (try: tapcharge phone --help)`, 2);
  let values: Values;
  try {
    ({ values } = parseArgs({ args: withOptionalValue(rest, '--pcsc'), options, strict: true, allowPositionals: false }) as { values: Values });
  } catch (error) {
    throw argsError(error, rest, 'phone');
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const stray = (Object.keys(values) as (keyof Values)[]).find((k) => k !== 'wallet' && !allowed[name]!.includes(k));
  if (stray) throw new CliError(`phone ${name} does not take --${stray}`, 2);
  try {
    await command(name, values, values.wallet ?? 'wallet.json');
  } catch (error) {
    if (error instanceof PhoneError || error instanceof RelayError || error instanceof PileRefusedError || error instanceof PileAnswerError || error instanceof PileLinkError || error instanceof WalletFileError || error instanceof ApduTooLongError) {
      throw new CliError(error.message);
    }
    throw error;
  }
  return 0;
}
