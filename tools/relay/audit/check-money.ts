// ledger_outbox, money_moves and users: each row from the ledger writes derive-money.ts says the
// relay must have queued.
//   ledger_outbox  kind, contract_id, ref, user_address, to_address, cap_minor, amount_minor,
//                  capped, hash: the write; state: done exactly when the ledger has its event
//                  (tx_hash: that event's transaction), else pending — a write the ledger refused
//                  (rejected) fails: the relay's book counts it, the ledger does not. One row per
//                  write. Not derivable: id (the queue order), attempts, last_error,
//                  created_at_ms, done_at_ms (the worker's bookkeeping) and gas_used (the ledger
//                  interface gives no transaction receipts to re-read). A transfer's ref is not on
//                  the ledger: money_moves and ledger_outbox must agree on it.
//   money_moves    kind, from_kid, to_kid, amount_minor, contract_id: the ledger's Issued,
//                  Redeemed or Transfer event (a refund: the Transfer from the revenue account;
//                  its contract_id is checked by check-refunds.ts); outbox_id: the outbox row of
//                  that write. Not derivable: at_s (when the request came: nothing signs it).
//   users          address from the key id (ids.ts userAddressOf); the key id must be the first
//                  8 bytes of SHA-256 of public_key; book_balance_minor, book_escrow_minor,
//                  debt_minor: the book of every derived write; settled_sessions,
//                  settled_amount_minor, late_receipts: the credit record (billing/credit.ts
//                  creditOf) of the user's derived sessions (their `late` by the relay's clock
//                  columns of the contracts rows, which check-contracts.ts checks).
//                  Not derivable: display_name,
//                  created_at_s (the registration request is not kept): a user who never did
//                  anything has no source but the row, which is checked for its key, address and
//                  an empty book.
import type { Address } from 'viem';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { keyId } from '../../../contracts-offline/keys.ts';
import { userAddressOf } from '../../ledger/ids.ts';
import { type CreditHistory, creditOf } from '../billing/credit.ts';
import type { RelayPolicy } from '../policy.ts';
import type { Row } from '../storage/db.ts';
import { type DerivedMoney, type LedgerWrite, addressBook, identityOfRow } from './derive-money.ts';
import { lateOf } from './check-contracts.ts';
import type { DerivedSessions } from './derive-sessions.ts';
import { type DerivedColumns, type Findings, type TableColumns, compareTable, shown, storedInt, storedText } from './findings.ts';
import type { StoredTables } from './stored-tables.ts';
import type { VerifiedSources } from './verify-signed.ts';

export const LEDGER_OUTBOX_COLUMNS: TableColumns = {
  derived: ['kind', 'contract_id', 'ref', 'user_address', 'to_address', 'cap_minor', 'amount_minor', 'capped', 'hash', 'state', 'tx_hash'],
  underivable: {
    id: 'the queue order the relay decided in',
    attempts: 'the worker\'s count of sends',
    last_error: 'the worker\'s last failure text',
    gas_used: 'the gas of the ledger\'s transaction receipt: the ledger interface gives no receipts to re-read',
    created_at_ms: 'when the row was queued: nothing signs it',
    done_at_ms: 'when the worker marked it: nothing signs it',
  },
};
export const MONEY_MOVES_COLUMNS: TableColumns = {
  derived: ['ref', 'kind', 'from_kid', 'to_kid', 'amount_minor', 'contract_id', 'outbox_id'],
  underivable: { at_s: 'when the request or contract behind it came: nothing signs it' },
};
export const USERS_COLUMNS: TableColumns = {
  derived: ['kid', 'public_key', 'address', 'book_balance_minor', 'book_escrow_minor', 'debt_minor', 'settled_sessions', 'settled_amount_minor', 'late_receipts'],
  underivable: { display_name: 'display text from the registration request, which is not kept', created_at_s: 'when the user registered: nothing signs it' },
};

/** The first stored outbox row of each write (by identity); later rows of the same write are reported as such. */
function outboxRowsByIdentity(f: Findings, stored: StoredTables): Map<string, { key: string; row: Row }> {
  const first = new Map<string, { key: string; row: Row }>();
  for (const [key, row] of stored.ledger_outbox) {
    const identity = identityOfRow(String(row['kind']), row['contract_id'], row['ref'], row['tx_hash']);
    if (identity === undefined) continue;
    const seen = first.get(identity);
    if (seen) f.add('ledger_outbox', key, `a second row for the write ${identity} (${seen.key} is the first)`);
    else first.set(identity, { key, row });
  }
  return first;
}

function outboxColumns(w: LedgerWrite): DerivedColumns {
  const from = w.from;
  const columns: DerivedColumns = {
    kind: { value: w.kind, from },
    contract_id: { value: w.contractId, from },
    user_address: { value: w.user, from },
    to_address: { value: w.to, from },
    cap_minor: { value: w.capMinor, from },
    amount_minor: { value: w.amountMinor, from },
    capped: { value: w.capped, from },
    hash: { value: w.hash, from },
  };
  if (w.kind !== 'transfer') columns['ref'] = { value: w.ref, from };
  if (w.event) {
    columns['state'] = { value: 'done', from: `the ledger's event (tx ${w.event.txHash})` };
    columns['tx_hash'] = { value: w.event.txHash, from: 'the ledger\'s event' };
  } else {
    // a write the ledger refused (rejected) is counted by the relay's book and not by the ledger
    const from = 'the ledger, which has no event for it';
    columns['state'] = { value: 'pending', from };
    columns['tx_hash'] = { value: null, from };
  }
  return columns;
}

function noOutboxSource(row: Row): string {
  const kind = String(row['kind']);
  if (kind === 'issue' || kind === 'redeem' || kind === 'transfer') {
    return row['state'] === 'done'
      ? `the ledger has no ${kind} in transaction ${shown(row['tx_hash'])} matching it`
      : `a ${row['state']} ${kind}: a top-up, repayment, transfer or refund has no source but the ledger, which does not have it (audit once the outbox has drained)`;
  }
  return `no session derived from the signed records calls for a ${kind} of contract ${shown(row['contract_id'])}`;
}

function checkOutbox(f: Findings, stored: StoredTables, money: DerivedMoney, byIdentity: Map<string, { key: string; row: Row }>): void {
  f.accountFor('ledger_outbox', [...stored.ledger_outbox.values()], LEDGER_OUTBOX_COLUMNS);
  const firstKeys = new Set([...byIdentity.values()].map((r) => r.key));
  for (const [key, row] of stored.ledger_outbox) {
    const identity = identityOfRow(String(row['kind']), row['contract_id'], row['ref'], row['tx_hash']);
    if (identity !== undefined && !firstKeys.has(key)) continue; // a second row: reported
    const w = identity === undefined ? undefined : money.writes.get(identity);
    if (!w) f.add('ledger_outbox', key, `no source: ${noOutboxSource(row)}`);
    else f.compareRow('ledger_outbox', key, row, outboxColumns(w));
  }
  for (const [identity, w] of money.writes) {
    if (!byIdentity.has(identity)) f.add('ledger_outbox', `(${identity})`, `no row, yet ${w.from} calls for it`);
  }
}

function kidOf(addresses: Map<Address, string>, address: Address | null): string | null {
  if (address === null) return null;
  return addresses.get(address) ?? `(no user has address ${address})`;
}

/**
 * The money_moves key of each write that carries a move (by identity): its ref; for a transfer or
 * refund, whose ref is not on the ledger, the money move that names the outbox row of the write's
 * transaction (the one holding the outbox row's ref first), else — its money move deleted — the
 * outbox row's ref.
 */
function moveKeys(stored: StoredTables, money: DerivedMoney, byIdentity: Map<string, { key: string; row: Row }>): Map<string, string> {
  const naming = new Map<string, string[]>();
  for (const [ref, row] of stored.money_moves) {
    const tx = storedText(stored.ledger_outbox.get(`#${storedInt(row['outbox_id'])}`)?.['tx_hash']);
    if ((row['kind'] !== 'transfer' && row['kind'] !== 'refund') || !tx) continue;
    const identity = `transfer ${tx.toLowerCase()}`;
    naming.set(identity, [...(naming.get(identity) ?? []), ref]);
  }
  const keys = new Map<string, string>();
  for (const w of money.writes.values()) {
    if (!w.move) continue;
    if (w.kind !== 'transfer') {
      keys.set(w.identity, w.ref!);
      continue;
    }
    const outboxRef = storedText(byIdentity.get(w.identity)?.row['ref']);
    const refs = naming.get(w.identity) ?? [];
    keys.set(w.identity, refs.find((ref) => ref === outboxRef) ?? refs[0] ?? outboxRef ?? `(${w.identity})`);
  }
  return keys;
}

function moveKindSource(w: LedgerWrite): string {
  switch (w.move!.kind) {
    case 'advance': return `its ref: ledgerRef('advance', ${w.move!.contractId})`;
    case 'repay': return 'its ref: ledgerRef(\'repay\', a top-up\'s ref)';
    case 'refund': return `${w.from}, which only refunds draw on`;
    default: return w.from;
  }
}

function checkMoneyMoves(f: Findings, stored: StoredTables, money: DerivedMoney, byIdentity: Map<string, { key: string; row: Row }>, keys: Map<string, string>, addresses: Map<Address, string>): void {
  f.accountFor('money_moves', [...stored.money_moves.values()], MONEY_MOVES_COLUMNS);
  const wanted = new Map<string, { columns: DerivedColumns; needs: string }>();
  for (const w of money.writes.values()) {
    if (!w.move) continue;
    const outbox = byIdentity.get(w.identity);
    const from = w.from;
    const inbound = w.kind === 'issue' || w.move.kind === 'refund';
    const columns: DerivedColumns = {
      kind: { value: w.move.kind, from: moveKindSource(w) },
      from_kid: { value: inbound ? null : kidOf(addresses, w.user), from },
      to_kid: { value: w.kind === 'issue' ? kidOf(addresses, w.user) : kidOf(addresses, w.to), from },
      amount_minor: { value: w.amountMinor, from },
      outbox_id: { value: outbox ? storedInt(outbox.row['id'])! : null, from: outbox ? `ledger_outbox ${outbox.key}, the row of this write` : 'the outbox, which holds no row for this write' },
    };
    // the contract a refund pays back is not on the ledger: check-refunds.ts checks it
    if (w.move.kind !== 'refund') columns['contract_id'] = { value: w.move.contractId, from };
    if (w.kind === 'transfer' && outbox) columns['ref'] = { value: storedText(outbox.row['ref']) ?? null, from: `ledger_outbox ${outbox.key} (a transfer's ref is not on the ledger)` };
    wanted.set(keys.get(w.identity)!, { columns, needs: `${from} records it` });
  }
  compareTable(f, 'money_moves', stored.money_moves, wanted, (_, row) => `the ledger has no ${shown(row['kind'])} it records (no event with its ref, or in its outbox row's transaction)`);
}

/** Every user the signed sources or the ledger speak of, with the first thing that does. */
function usersCalledFor(sources: VerifiedSources, derived: DerivedSessions, money: DerivedMoney, addresses: Map<Address, string>, f: Findings): Map<string, string> {
  const named = new Map<string, string>();
  const name = (kid: string, why: string) => { if (!named.has(kid)) named.set(kid, why); };
  for (const a of sources.authorizations.values()) name(bytesToHex(a.userKid), `voucher ${bytesToHex(a.voucherId)} (relay-signed) names it`);
  for (const s of derived.sessions.values()) name(s.userKid, `contract ${s.contractId} (pile-signed) names it`);
  for (const w of money.writes.values()) {
    for (const address of [w.user, w.to]) {
      if (address === null || address.toLowerCase() === money.revenue.toLowerCase()) continue;
      const kid = addresses.get(address);
      if (kid) name(kid, `${w.from} moves its money`);
      else f.add('users', `(address ${address})`, `no row, yet ${w.from} moves its money`);
    }
  }
  return named;
}

/** Each user's credit record, summed over the user's derived sessions. */
function creditRecords(stored: StoredTables, derived: DerivedSessions, policy: RelayPolicy): Map<string, CreditHistory> {
  const records = new Map<string, CreditHistory>();
  for (const s of derived.sessions.values()) {
    const late = lateOf(s, stored.contracts.get(s.contractId), policy);
    const c = creditOf({ status: s.status, amount_minor: s.settlement?.settledMinor ?? null, late });
    const kid = s.userKid;
    const sum = records.get(kid) ?? { settledSessions: 0, settledAmountMinor: 0, lateReceipts: 0 };
    records.set(kid, { settledSessions: sum.settledSessions + c.settledSessions, settledAmountMinor: sum.settledAmountMinor + c.settledAmountMinor, lateReceipts: sum.lateReceipts + c.lateReceipts });
  }
  return records;
}

function userColumns(kid: string, row: Row, money: DerivedMoney, credit: CreditHistory | undefined): DerivedColumns {
  const address = userAddressOf(hexToBytes(kid));
  const book = money.books.get(address) ?? { balanceMinor: 0, escrowMinor: 0, debtMinor: 0 };
  const from = money.books.has(address) ? 'the ledger writes its signed records and ledger events call for' : 'nothing (no signed record or ledger event names the user)';
  const publicKey = storedText(row['public_key']);
  const creditFrom = credit ? 'the user\'s sessions (signed records, ledger events)' : 'nothing (no signed contract names the user)';
  const keyIdOf = publicKey && /^[0-9a-f]{64}$/.test(publicKey) ? bytesToHex(keyId(hexToBytes(publicKey))) : undefined;
  return {
    kid: { value: keyIdOf ?? '(public_key is not a 32-byte key)', from: 'public_key (SHA-256, first 8 bytes)' },
    address: { value: address, from: 'the key id (tapcharge/user/v1)' },
    book_balance_minor: { value: book.balanceMinor, from },
    book_escrow_minor: { value: book.escrowMinor, from },
    debt_minor: { value: book.debtMinor, from },
    settled_sessions: { value: credit?.settledSessions ?? 0, from: creditFrom },
    settled_amount_minor: { value: credit?.settledAmountMinor ?? 0, from: creditFrom },
    late_receipts: { value: credit?.lateReceipts ?? 0, from: creditFrom },
  };
}

function checkUsers(f: Findings, stored: StoredTables, sources: VerifiedSources, derived: DerivedSessions, money: DerivedMoney, addresses: Map<Address, string>, policy: RelayPolicy): void {
  f.accountFor('users', [...stored.users.values()], USERS_COLUMNS);
  const named = usersCalledFor(sources, derived, money, addresses, f);
  const credit = creditRecords(stored, derived, policy);
  for (const kid of [...new Set([...stored.users.keys(), ...named.keys()])].sort()) {
    const row = stored.users.get(kid);
    if (!row) f.add('users', kid, `no row, yet ${named.get(kid)}`);
    else if (!/^[0-9a-f]{16}$/.test(kid)) f.add('users', kid, 'kid is not 8 bytes of lowercase hex');
    else f.compareRow('users', kid, row, userColumns(kid, row, money, credit.get(kid)));
  }
}

/** Answers the money_moves key of each write that carries a move, by identity (for check-refunds.ts). */
export function checkMoney(f: Findings, stored: StoredTables, sources: VerifiedSources, derived: DerivedSessions, money: DerivedMoney, policy: RelayPolicy): Map<string, string> {
  const kids = [...stored.users.keys(), ...[...stored.money_moves.values()].flatMap((r) => [storedText(r['from_kid']), storedText(r['to_kid'])]).filter((k): k is string => k !== undefined),
    ...[...sources.authorizations.values()].map((a) => bytesToHex(a.userKid)), ...[...derived.sessions.values()].map((s) => s.userKid)];
  const addresses = addressBook(kids);
  const byIdentity = outboxRowsByIdentity(f, stored);
  checkOutbox(f, stored, money, byIdentity);
  const keys = moveKeys(stored, money, byIdentity);
  checkMoneyMoves(f, stored, money, byIdentity, keys, addresses);
  checkUsers(f, stored, sources, derived, money, addresses, policy);
  return keys;
}
