// Users: registration (signed by the key being registered), balances (ledger) with what the relay
// has queued (book), contracts with provisional vs settled, the credit record (R11), history.
import type { Address } from 'viem';
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import type { Answer } from '../../relay-api/routes.ts';
import { userAddressOf } from '../../ledger/ids.ts';
import type { LedgerEvent } from '../../ledger/ledger.ts';
import { readBook, standingOf, type UserBookRow } from '../billing/book.ts';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { RouteHandler } from '../http/routes.ts';
import { type ContractDecisions, contractDecisions } from './operator/decisions.ts';

async function userBook(ctx: RelayContext, kid: string): Promise<UserBookRow> {
  const book = await readBook(ctx.db, kid, '');
  if (!book) throw new HttpError('unknown-user', `no user with key id ${kid}`);
  return book;
}

const registerUser: RouteHandler<'registerUser'> = async (ctx, { body, signer }) => {
  const address = userAddressOf(hexToBytes(signer.kid));
  const inserted = await ctx.db.run('INSERT INTO users (kid, public_key, display_name, address, created_at_s) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [
    signer.kid, body.publicKey.toLowerCase(), body.displayName, address, ctx.nowS(),
  ]);
  if (inserted === 0) throw new HttpError('already-registered', `user ${signer.kid} is already registered`);
  return { status: 201, body: { kid: signer.kid, address } };
};

const user: RouteHandler<'user'> = async (ctx, { params }) => {
  const kid = params.kid.toLowerCase();
  const book = await userBook(ctx, kid);
  const user = (await ctx.db.get<{ display_name: string }>('SELECT display_name FROM users WHERE kid = ?', [kid]))!;
  const standing = await standingOf(ctx.db, book, ctx.nowS(), ctx.policy);
  const open = await ctx.db.all<{ contract_id: string }>("SELECT contract_id FROM contracts WHERE user_kid = ? AND status IN ('provisional', 'charged-at-cap') ORDER BY received_at_s, contract_id", [kid]);
  const pending = await ctx.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM ledger_outbox WHERE state = 'pending' AND (user_address = ? OR to_address = ?)", [book.address, book.address]);
  const address = book.address as Address;
  const [balance, escrow] = await Promise.all([ctx.ledger.balanceOf(address), ctx.ledger.escrowOf(address)]);
  return {
    status: 200,
    body: {
      kid,
      displayName: user.display_name,
      address,
      balanceMinor: Number(balance),
      escrowMinor: Number(escrow),
      creditLimitMinor: standing.creditLimitMinor,
      creditUsedMinor: standing.debtMinor,
      availableMinor: standing.availableMinor,
      reservedMinor: standing.reservedMinor,
      openContracts: open.map((c) => c.contract_id),
      pendingLedgerWrites: Number(pending?.n ?? 0),
      bookBalanceMinor: standing.balanceMinor,
      bookEscrowMinor: standing.escrowMinor,
    },
  };
};

type ContractAnswer = Answer<'userContracts', 200>['contracts'][number];

type ContractListRow = {
  contract_id: string; pile_id: string; seq: number; mode: string; cap_minor: number; status: string; amount_minor: number | null;
  receipt_amount_minor: number | null; energy_wh: number | null; duration_s: number | null; end_reason: string | null; problem: string | null;
  late: number; advance_minor: number;
};

/** An operator's resolution of the contract and its refunds, when there are any. */
function decisionFields(d: ContractDecisions | undefined): Pick<ContractAnswer, 'resolution' | 'refundedMinor' | 'refunds'> {
  if (!d) return {};
  return { ...(d.resolution && { resolution: d.resolution }), ...(d.refunds.length > 0 && { refundedMinor: d.refundedMinor, refunds: d.refunds }) };
}

const userContracts: RouteHandler<'userContracts'> = async (ctx, { params }) => {
  const kid = params.kid.toLowerCase();
  await userBook(ctx, kid);
  const rows = await ctx.db.all<ContractListRow>(
    `SELECT contract_id, pile_id, seq, mode, cap_minor, status, amount_minor, receipt_amount_minor, energy_wh, duration_s, end_reason, problem, late, advance_minor
       FROM contracts WHERE user_kid = ? ORDER BY received_at_s, contract_id`,
    [kid],
  );
  const decisions = await contractDecisions(ctx.db, { userKid: kid });
  const list = await Promise.all(rows.map(async (r) => ({
    contractId: r.contract_id,
    pileId: r.pile_id,
    seq: Number(r.seq),
    mode: r.mode as ContractAnswer['mode'],
    capMinor: Number(r.cap_minor),
    status: r.status as ContractAnswer['status'],
    ledgerState: await ctx.ledger.record(`0x${r.contract_id}`),
    ...(r.amount_minor !== null ? { amountMinor: Number(r.amount_minor) } : {}),
    ...(r.receipt_amount_minor !== null ? { receiptAmountMinor: Number(r.receipt_amount_minor) } : {}),
    ...(r.energy_wh !== null ? { energyWh: Number(r.energy_wh) } : {}),
    ...(r.duration_s !== null ? { durationS: Number(r.duration_s) } : {}),
    ...(r.end_reason !== null ? { endReason: r.end_reason } : {}),
    ...(r.problem !== null ? { problem: r.problem } : {}),
    ...(Number(r.late) === 1 ? { late: true } : {}),
    ...(Number(r.advance_minor) > 0 ? { advanceMinor: Number(r.advance_minor) } : {}),
    ...decisionFields(decisions.get(r.contract_id)),
  })));
  return { status: 200, body: { contracts: list } };
};

const userCredit: RouteHandler<'userCredit'> = async (ctx, { params }) => {
  const kid = params.kid.toLowerCase();
  const standing = await standingOf(ctx.db, await userBook(ctx, kid), ctx.nowS(), ctx.policy);
  return {
    status: 200,
    body: {
      kid,
      ...standing.history,
      creditLimitMinor: standing.creditLimitMinor,
      creditUsedMinor: standing.debtMinor,
      policy: ctx.policy.credit,
    },
  };
};

type HistoryLine = Answer<'userHistory', 200>['events'][number];

/**
 * The user's line for one ledger event, or undefined when it is none of theirs to see: a Batch
 * event and a skipped entry move nothing, and a batch naming the account carries other users'
 * entries too. A session settled in one step has a settled line (settledFrom 'none') and no opened one.
 */
function describeEvent(e: LedgerEvent, account: Address): HistoryLine | undefined {
  const base = { blockNumber: Number(e.blockNumber), txHash: e.txHash, kind: e.kind };
  const mine = 'user' in e && e.user.toLowerCase() === account.toLowerCase();
  switch (e.kind) {
    case 'issued': case 'redeemed': return { ...base, amountMinor: Number(e.amountMinor), ref: e.ref };
    case 'transfer': return { ...base, from: e.from, to: e.to, amountMinor: Number(e.amountMinor) };
    case 'opened': return mine ? { ...base, contractId: e.contractId.slice(2), capMinor: Number(e.capMinor), capped: e.capped } : undefined;
    case 'charged-at-cap': return mine ? { ...base, contractId: e.contractId.slice(2), capMinor: Number(e.capMinor) } : undefined;
    case 'settled': case 'corrected': return mine
      ? { ...base, contractId: e.contractId.slice(2), capMinor: Number(e.capMinor), amountMinor: Number(e.amountMinor), ...(e.kind === 'settled' ? { settledFrom: e.from } : {}) }
      : undefined;
    default: return undefined;
  }
}

const userHistory: RouteHandler<'userHistory'> = async (ctx, { params }) => {
  const kid = params.kid.toLowerCase();
  const account = (await userBook(ctx, kid)).address as Address;
  const events = await ctx.ledger.history({ account });
  return { status: 200, body: { events: events.flatMap((e) => describeEvent(e, account) ?? []) } };
};

export const userHandlers = { registerUser, user, userContracts, userCredit, userHistory };
