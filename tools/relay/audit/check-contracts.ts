// contracts and receipts: each row from the session derive-sessions.ts makes of the signed records.
//   contracts  contract_id … start_at_s, sha256: the pile-signed contract; status: the derived
//              status (voided and settled-by-resolution as derive-sessions.ts tells them);
//              amount_minor: what its receipt settles (receiptSettlement: min(receipt, tariff
//              cost, cap)), NULL when disputed, voided or without receipt; receipt_seq … 
//              receipt_amount_minor: the applied pile-signed receipt; advance_minor: the ledger's
//              advance for it (an Issued event whose ref is ledgerRef('advance', contract id));
//              late: charged at the cap, or the receipt came more than receiptOverdueS after the
//              contract; problem: present exactly when disputed (kept once resolved) or the
//              receipt's amount differs from the tariff's (its wording is display text: its
//              presence and kind are checked).
//              received_at_s and receipt_received_at_s are the relay's clock, not signed: they
//              must agree with the records rows stored in the same transaction (the clock read
//              twice in it may cross one second).
//   receipts   every column but state from the pile-signed receipt; state: applied (it closed its
//              contract), conflict (another receipt did), waiting (its contract is not held).
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { isCapped, limitValue } from '../../../contracts-offline/charge-limit.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import { ledgerRef } from '../ledger-outbox/refs.ts';
import type { RelayPolicy } from '../policy.ts';
import type { Row } from '../storage/db.ts';
import type { DerivedMoney } from './derive-money.ts';
import type { DerivedSession, DerivedSessions } from './derive-sessions.ts';
import { type DerivedColumns, type Findings, type TableColumns, compareTable, shown, storedInt, storedText } from './findings.ts';
import type { StoredTables } from './stored-tables.ts';
import type { HeldRecord, VerifiedSources } from './verify-signed.ts';

export const CONTRACTS_COLUMNS: TableColumns = {
  derived: ['contract_id', 'pile_id', 'seq', 'user_kid', 'voucher_id', 'mode', 'limit_value', 'cap_minor', 'capped', 'tariff_version', 'energy_minor_per_kwh',
    'time_minor_per_hour', 'session_fee_minor', 'start_at_s', 'received_at_s', 'sha256', 'status', 'problem', 'advance_minor', 'receipt_seq', 'end_reason',
    'end_detail', 'energy_wh', 'duration_s', 'receipt_amount_minor', 'amount_minor', 'receipt_received_at_s', 'late'],
  underivable: {},
};
export const RECEIPTS_COLUMNS: TableColumns = {
  derived: ['pile_id', 'seq', 'contract_seq', 'end_reason', 'end_detail', 'energy_wh', 'duration_s', 'amount_minor', 'end_at_s', 'sha256', 'state'],
  underivable: {},
};

/** Clock slack between two reads of the relay's clock in one transaction: they may fall either side of a second boundary. */
const CLOCK_SLACK_S = 1;

function signedContractColumns(s: DerivedSession): DerivedColumns {
  const c = s.contract.message;
  const from = `the pile-signed contract ${s.pileId}#${s.seq}`;
  return {
    pile_id: { value: s.pileId, from },
    seq: { value: s.seq, from },
    user_kid: { value: s.userKid, from },
    voucher_id: { value: bytesToHex(c.voucherId), from },
    mode: { value: c.limit.mode, from },
    limit_value: { value: limitValue(c.limit) ?? null, from },
    cap_minor: { value: c.capMinor, from },
    capped: { value: isCapped(c.limit.mode) ? 1 : 0, from },
    tariff_version: { value: c.tariff.version, from },
    energy_minor_per_kwh: { value: c.tariff.energyMinorPerKwh, from },
    time_minor_per_hour: { value: c.tariff.timeMinorPerHour, from },
    session_fee_minor: { value: c.tariff.sessionFeeMinor, from },
    start_at_s: { value: c.startAtS, from },
    sha256: { value: s.contract.sha256, from: `the bytes of records ${s.pileId}#${s.seq}` },
  };
}

function statusSource(s: DerivedSession): string {
  if (s.resolved) return `${s.resolved.from}; disputed: ${s.dispute}`;
  if (s.dispute) return `${s.dispute}; unresolved: no void in contract_resolutions, no Opened event on the ledger`;
  const charged = s.chargedAtCap ? 'the ledger\'s ChargedAtCap' : '';
  const receipt = s.receipt ? `receipt ${s.receipt.pileId}#${s.receipt.seq}` : 'no receipt held';
  return [receipt, charged].filter(Boolean).join(' and ');
}

function receiptColumns(s: DerivedSession, money: DerivedMoney): DerivedColumns {
  const r = s.receipt?.message;
  const from = s.receipt ? `receipt ${s.receipt.pileId}#${s.receipt.seq}` : 'no receipt held for it';
  const advance = money.writes.get(`issue ${ledgerRef('advance', s.contractId).toLowerCase()}`);
  return {
    status: { value: s.status, from: statusSource(s) },
    receipt_seq: { value: s.receipt?.seq ?? null, from },
    end_reason: { value: r?.endReason ?? null, from },
    end_detail: { value: r?.endDetail ?? null, from },
    energy_wh: { value: r?.energyWh ?? null, from },
    duration_s: { value: r?.durationS ?? null, from },
    receipt_amount_minor: { value: r?.amountMinor ?? null, from },
    amount_minor: { value: s.settlement?.settledMinor ?? null, from: s.settlement || !s.dispute ? from : `${from} (${s.status}: nothing settles)` },
    advance_minor: { value: advance?.amountMinor ?? 0, from: advance ? advance.from : 'no advance on the ledger for it' },
  };
}

/**
 * `late` of a session: charged at its cap, or its receipt applied more than receiptOverdueS after
 * the contract, by the relay's clock columns of its stored row (checked by checkClockColumns).
 */
export function lateOf(s: DerivedSession, row: Row | undefined, policy: RelayPolicy): 0 | 1 {
  if (s.receipt === undefined) return 0;
  if (s.chargedAtCap) return 1;
  const receivedAtS = storedInt(row?.['received_at_s']);
  const receiptAtS = storedInt(row?.['receipt_received_at_s']);
  return receivedAtS !== undefined && receiptAtS !== undefined && receiptAtS - receivedAtS > policy.receiptOverdueS ? 1 : 0;
}

/** The relay's clock columns and what follows from them: checked against the records rows, not derived. */
function checkClockColumns(f: Findings, key: string, row: Row, s: DerivedSession, policy: RelayPolicy): void {
  const receivedAtS = storedInt(row['received_at_s']);
  const recordAtS = s.contract.receivedAtS;
  if (receivedAtS === undefined || receivedAtS < recordAtS || receivedAtS > recordAtS + CLOCK_SLACK_S) {
    f.add('contracts', key, `received_at_s stored ${shown(row['received_at_s'])}, derived ${recordAtS} from records ${s.pileId}#${s.seq} (stored in the same transaction)`);
    return;
  }
  const receiptAtS = storedInt(row['receipt_received_at_s']);
  if (!s.receipt) {
    if (row['receipt_received_at_s'] !== null) f.add('contracts', key, `receipt_received_at_s stored ${shown(row['receipt_received_at_s'])}, derived NULL from no receipt held for it`);
  } else {
    const appliedAtS = Math.max(s.receipt.receivedAtS, receivedAtS);
    if (receiptAtS === undefined || receiptAtS < appliedAtS || receiptAtS > appliedAtS + CLOCK_SLACK_S) {
      f.add('contracts', key, `receipt_received_at_s stored ${shown(row['receipt_received_at_s'])}, derived ${appliedAtS} from records ${s.receipt.pileId}#${s.receipt.seq} (applied once both were held)`);
      return;
    }
  }
  f.compareRow('contracts', key, row, { late: { value: lateOf(s, row, policy), from: s.chargedAtCap ? 'the ledger\'s ChargedAtCap' : `the receipt's arrival against receiptOverdueS (${policy.receiptOverdueS} s)` } });
}

function checkProblem(f: Findings, key: string, row: Row, s: DerivedSession): void {
  const stored = storedText(row['problem']);
  const mismatch = s.settlement?.mismatch === true;
  if (s.dispute && stored === undefined) f.add('contracts', key, `problem stored NULL, derived "${s.dispute}"`);
  else if (!s.dispute && mismatch && !stored?.startsWith('amount-mismatch:')) {
    f.add('contracts', key, `problem stored ${shown(row['problem'])}, derived an amount-mismatch from receipt ${s.receipt!.pileId}#${s.receipt!.seq}: it says ${s.receipt!.message.amountMinor}, the tariff gives ${s.settlement!.billedMinor}`);
  } else if (!s.dispute && !mismatch && row['problem'] !== null) f.add('contracts', key, `problem stored "${shown(row['problem'])}", derived NULL: the contract keeps to its voucher and ${s.receipt ? 'its receipt to the tariff' : 'has no receipt'}`);
}

function checkContracts(f: Findings, stored: StoredTables, derived: DerivedSessions, money: DerivedMoney, policy: RelayPolicy): void {
  f.accountFor('contracts', [...stored.contracts.values()], CONTRACTS_COLUMNS);
  const wanted = new Map([...derived.sessions].map(([id, s]) => [id, {
    columns: { ...signedContractColumns(s), ...receiptColumns(s, money) },
    needs: `records ${s.pileId}#${s.seq} (pile-signed contract) needs it`,
  }]));
  compareTable(f, 'contracts', stored.contracts, wanted, () => 'no pile-signed contract with this id (pile ‖ sequence) is held: the row was inserted, or its record deleted');
  for (const [id, row] of stored.contracts) {
    const s = derived.sessions.get(id);
    if (!s) continue;
    checkClockColumns(f, id, row, s, policy);
    checkProblem(f, id, row, s);
  }
}

function receiptState(r: HeldRecord<Receipt>, derived: DerivedSessions): { value: string; from: string } {
  const s = derived.sessions.get(contractIdHex(r.message.pileId, r.message.contractSeq));
  if (!s) return { value: 'waiting', from: `contract ${r.pileId}#${r.message.contractSeq} not held` };
  return s.receipt?.seq === r.seq
    ? { value: 'applied', from: `contract ${s.contractId} it closed` }
    : { value: 'conflict', from: `receipt ${s.receipt!.pileId}#${s.receipt!.seq} closed contract ${s.contractId} first` };
}

function checkReceipts(f: Findings, stored: StoredTables, sources: VerifiedSources, derived: DerivedSessions): void {
  f.accountFor('receipts', [...stored.receipts.values()], RECEIPTS_COLUMNS);
  const wanted = new Map([...sources.receipts].map(([key, r]) => {
    const from = `the pile-signed receipt ${key}`;
    const m = r.message;
    return [key, {
      columns: {
        pile_id: { value: r.pileId, from },
        seq: { value: r.seq, from },
        contract_seq: { value: m.contractSeq, from },
        end_reason: { value: m.endReason, from },
        end_detail: { value: m.endDetail, from },
        energy_wh: { value: m.energyWh, from },
        duration_s: { value: m.durationS, from },
        amount_minor: { value: m.amountMinor, from },
        end_at_s: { value: m.endAtS, from },
        sha256: { value: r.sha256, from: `the bytes of records ${key}` },
        state: receiptState(r, derived),
      } as DerivedColumns,
      needs: `records ${key} (pile-signed receipt) needs it`,
    }];
  }));
  compareTable(f, 'receipts', stored.receipts, wanted, () => 'no pile-signed receipt with this pile and sequence is held: the row was inserted, or its record deleted');
}

export function checkSessions(f: Findings, stored: StoredTables, sources: VerifiedSources, derived: DerivedSessions, money: DerivedMoney, policy: RelayPolicy): void {
  checkContracts(f, stored, derived, money, policy);
  checkReceipts(f, stored, sources, derived);
}
