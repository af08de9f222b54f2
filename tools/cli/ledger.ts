// `tapcharge ledger …`: the credit ledger from the command line, against the embedded chain in
// --data DIR (default ./data) or any JSON-RPC chain with --rpc URL --key HEX [--address ADDR].
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BaseError, type Address, type Hex } from 'viem';
import { auditLedger } from '../ledger/audit.ts';
import { openEmbeddedLedger } from '../ledger/embedded.ts';
import { parseAddress, parseAmountMinor, parseContractId, refOf, userAddressOf } from '../ledger/ids.ts';
import { MONEY_MAX_MINOR } from '../relay-api/fields.ts';

/** One movement of credit is bounded as the relay bounds money (tools/relay-api), far below the ledger's uint128. */
const MAX_AMOUNT_MINOR = BigInt(MONEY_MAX_MINOR);
import { LedgerError } from '../ledger/errors.ts';
import type { Ledger, LedgerEvent } from '../ledger/ledger.ts';
import { connectRpcLedger, deployRpcLedger } from '../ledger/rpc.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';

const usage = `usage: tapcharge ledger <command> [options]

commands:
  deploy                          create the ledger contract (embedded: once per data folder)
  balance ACCOUNT                 spendable balance and escrow, in minor units
  issue ACCOUNT AMOUNT            top-up: mint credit          [--ref REF]
  redeem ACCOUNT AMOUNT           cash-out: burn credit        [--ref REF]
  transfer FROM TO AMOUNT         move credit between users    [--ref REF]
  record CONTRACT_ID              state of one charging contract (32 hex digits)
  history [ACCOUNT]               every ledger event, oldest first
  audit                           re-read every event and check conservation

ACCOUNT is 0x + 40 hex digits, or kid:<16 hex digits> (a user's key id).
AMOUNT is a whole number of minor units. REF makes a write idempotent (default: random, printed).
options:
  --data DIR        embedded chain folder (default ./data)
  --rpc URL         use a JSON-RPC chain instead; needs --key (or TAPCHARGE_LEDGER_KEY)
  --key HEX         operator private key for --rpc
  --address ADDR    ledger contract address for --rpc (printed by deploy)`;

type Options = { data: string; rpc?: string; key?: string; address?: string; ref?: string };

function parseAccount(text: string): Address {
  const kid = /^kid:([0-9a-fA-F]{16})$/.exec(text);
  if (kid) return userAddressOf(Uint8Array.from(Buffer.from(kid[1]!, 'hex')));
  if (text.startsWith('kid:')) throw new LedgerError('bad-input', `bad key id "${text}": expected kid: followed by 16 hex digits`);
  return parseAddress(text);
}

function arity(args: string[], count: number, shape: string): void {
  if (args.length !== count) throw new CliError(`expected: tapcharge ledger ${shape}`, 2);
}

async function connect(o: Options, deploy = false): Promise<Ledger & { deployedNow?: boolean }> {
  if (!o.rpc) return openEmbeddedLedger(o.data, { deploy });
  const key = o.key ?? process.env['TAPCHARGE_LEDGER_KEY'];
  if (!key) throw new CliError('--rpc needs --key HEX (or TAPCHARGE_LEDGER_KEY)', 2);
  if (deploy) return Object.assign(await deployRpcLedger({ url: o.rpc, privateKey: key as Hex }), { deployedNow: true });
  if (!o.address) throw new CliError('--rpc needs --address ADDR (the ledger contract, printed by deploy)', 2);
  return connectRpcLedger({ url: o.rpc, privateKey: key as Hex, address: parseAddress(o.address) });
}

function describe(e: LedgerEvent): string {
  const at = `block ${e.blockNumber}`;
  switch (e.kind) {
    case 'issued': return `${at} issued ${e.amountMinor} to ${e.account} ref ${e.ref}`;
    case 'redeemed': return `${at} redeemed ${e.amountMinor} from ${e.account} ref ${e.ref}`;
    case 'transfer': return `${at} transfer ${e.amountMinor} ${e.from} -> ${e.to}`;
    case 'batch': return `${at} batch ${e.entries} entries records ${e.recordsDigest}`;
    case 'opened': return `${at}   #${e.entry} opened ${e.contractId} user ${e.user} cap ${e.capMinor} ${e.capped ? 'capped' : 'full'}`;
    case 'settled': return `${at}   #${e.entry} settled ${e.contractId} from ${e.from} user ${e.user} cap ${e.capMinor} amount ${e.amountMinor}`;
    case 'charged-at-cap': return `${at}   #${e.entry} charged-at-cap ${e.contractId} user ${e.user} cap ${e.capMinor}`;
    case 'corrected': return `${at}   #${e.entry} corrected ${e.contractId} user ${e.user} cap ${e.capMinor} amount ${e.amountMinor}`;
    case 'skipped': return `${at}   #${e.entry} skipped ${e.op} ${e.contractId}: ${e.reason}`;
    case 'ref-duplicate': return `${at} duplicate ref ${e.ref} (no-op)`;
    case 'operator-set': return `${at} operator ${e.account} ${e.enabled ? 'enabled' : 'disabled'}`;
    case 'paused-set': return `${at} ${e.paused ? 'paused' : 'unpaused'}`;
  }
}

async function command(name: string, args: string[], o: Options): Promise<number> {
  const ref = (): Hex => refOf(o.ref ?? `cli-${randomBytes(16).toString('hex')}`);
  const print = (line: string) => process.stdout.write(line + '\n');
  // Validate every argument before touching the chain.
  switch (name) {
    case 'deploy': arity(args, 0, 'deploy'); break;
    case 'balance': arity(args, 1, 'balance ACCOUNT'); parseAccount(args[0]!); break;
    case 'issue': case 'redeem': arity(args, 2, `${name} ACCOUNT AMOUNT`); parseAccount(args[0]!); parseAmountMinor(args[1]!, MAX_AMOUNT_MINOR); break;
    case 'transfer': arity(args, 3, 'transfer FROM TO AMOUNT'); parseAccount(args[0]!); parseAccount(args[1]!); parseAmountMinor(args[2]!, MAX_AMOUNT_MINOR); break;
    case 'record': arity(args, 1, 'record CONTRACT_ID'); parseContractId(args[0]!); break;
    case 'history': if (args.length > 1) arity(args, 1, 'history [ACCOUNT]'); if (args[0]) parseAccount(args[0]); break;
    case 'audit': arity(args, 0, 'audit'); break;
    default: throw new CliError(`unknown ledger command "${name}" (try: tapcharge ledger --help)`, 2);
  }
  const ledger = await connect(o, name === 'deploy');
  try {
    switch (name) {
      case 'deploy':
        print(`ledger ${ledger.deployedNow ? 'deployed' : 'already deployed'} at ${ledger.address} operator ${ledger.operator}${o.rpc ? '' : ` data ${o.data}`}`);
        return 0;
      case 'balance': {
        const account = parseAccount(args[0]!);
        print(`${account} balance ${await ledger.balanceOf(account)} escrow ${await ledger.escrowOf(account)}`);
        return 0;
      }
      case 'issue': case 'redeem': {
        const account = parseAccount(args[0]!);
        const amount = parseAmountMinor(args[1]!, MAX_AMOUNT_MINOR);
        const r = ref();
        const result = name === 'issue' ? await ledger.issue(account, amount, r) : await ledger.redeem(account, amount, r);
        print(`${name} ${amount} ${account}: ${result.status} (ref ${r}, tx ${result.txHash}, block ${result.blockNumber})`);
        print(`${account} balance ${await ledger.balanceOf(account)}`);
        return 0;
      }
      case 'transfer': {
        const [from, to] = [parseAccount(args[0]!), parseAccount(args[1]!)];
        const amount = parseAmountMinor(args[2]!, MAX_AMOUNT_MINOR);
        const r = ref();
        const result = await ledger.transfer(from, to, amount, r);
        print(`transfer ${amount} ${from} -> ${to}: ${result.status} (ref ${r}, tx ${result.txHash}, block ${result.blockNumber})`);
        return 0;
      }
      case 'record': {
        const id = parseContractId(args[0]!);
        const state = await ledger.record(id);
        if (state === 'none') throw new CliError(`unknown contract id ${id}: never opened on this ledger`);
        print(`${id} ${state}`);
        return 0;
      }
      case 'history': {
        const account = args[0] ? parseAccount(args[0]) : undefined;
        for (const e of await ledger.history({ account })) print(describe(e));
        return 0;
      }
      default: {
        const report = await auditLedger(ledger);
        print(`events ${report.events}, accounts ${report.accounts}, contracts ${report.contracts}`);
        print(`issued ${report.issuedMinor} - redeemed ${report.redeemedMinor} = ${report.issuedMinor - report.redeemedMinor}; balances ${report.balancesMinor} + escrow ${report.escrowMinor} = ${report.balancesMinor + report.escrowMinor}`);
        for (const p of report.problems) print(`problem: ${p}`);
        print(report.ok ? 'audit PASS' : `audit FAIL (${report.problems.length} problems)`);
        return report.ok ? 0 : 1;
      }
    }
  } finally {
    await ledger.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const negative = argv.find((a) => /^-[0-9.]/.test(a));
  if (negative) throw new CliError(`bad amount "${negative}": expected a whole number of minor units`);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { data: { type: 'string', default: './data' }, rpc: { type: 'string' }, key: { type: 'string' }, address: { type: 'string' }, ref: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw argsError(error, argv, 'ledger');
  }
  const [name, ...args] = parsed.positionals;
  if (parsed.values.help || !name) {
    process.stdout.write(usage + '\n');
    return name || parsed.values.help ? 0 : 2;
  }
  const { data, rpc, key, address, ref } = parsed.values;
  try {
    return await command(name, args, { data: data!, rpc, key, address, ref });
  } catch (error) {
    if (error instanceof LedgerError) throw new CliError(error.message);
    if (error instanceof BaseError) throw new CliError(`chain request failed: ${error.shortMessage}${error.details ? ` (${error.details})` : ''}${rpc ? ` [${rpc}]` : ''}`);
    throw error;
  }
}
