// records: every held billing record, from its own pile-signed bytes — pile_id, seq and kind from
// the message, sha256 from the bytes; and its contract's tariff must be the one the relay signed
// for the pile under that tariff version (a pile bills only with prices from a PileUpdate).
// A row deleted is called for by the ledger's events (a contract id is pile ‖ sequence; a
// settlement names its receipt's SHA-256).
// Not derivable: received_at_s (the relay's clock on arrival; cross-checked with the contract and
// receipt rows stored in the same transaction), gap_below (whether lower sequences were held then:
// the arrival order is not signed). A hole in a pile's sequence is a record not carried yet unless
// something above names it: a record deleted together with everything that named it (a disputed
// contract never reaches the ledger) looks like one.
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Tariff } from '../../../contracts-offline/messages/fields.ts';
import { type Findings, type TableColumns, storedInt } from './findings.ts';
import { type LedgerIndex, txOf } from './ledger-index.ts';
import type { StoredTables } from './stored-tables.ts';
import type { HeldRecord, VerifiedSources } from './verify-signed.ts';

export const RECORDS_COLUMNS: TableColumns = {
  derived: ['pile_id', 'seq', 'kind', 'sha256', 'signed'],
  underivable: {
    received_at_s: 'the relay\'s clock when the record arrived (cross-checked with contracts and receipts)',
    gap_below: 'whether lower sequences were held when it arrived: the arrival order is not signed',
  },
};

const prices = (t: Tariff): string => `${t.energyMinorPerKwh}/kWh, ${t.timeMinorPerHour}/h, fee ${t.sessionFeeMinor}`;

function checkTariff(f: Findings, key: string, held: HeldRecord<Contract>, sources: VerifiedSources): void {
  const t = held.message.tariff;
  const configs = [...(sources.pileUpdates.get(held.pileId)?.values() ?? [])].filter((u) => u.tariff.version === t.version);
  if (configs.length === 0) f.add('records', key, `the signed contract's tariff version ${t.version} is in no relay-signed PileUpdate of pile ${held.pileId}`);
  else if (prices(configs[0]!.tariff) !== prices(t)) {
    f.add('records', key, `the signed contract's tariff v${t.version} (${prices(t)}) differs from the relay-signed PileUpdate's (${prices(configs[0]!.tariff)})`);
  }
}

/**
 * Records the ledger names that are not stored: a contract id is pile ‖ sequence, a settlement
 * names its receipt's SHA-256 (its sequence is taken from the contracts row when it has one). Rows
 * of other tables are no witness here: a contracts row without its record is reported by the
 * contracts check, since a deleted record and an inserted row look alike there.
 */
function calledFor(stored: StoredTables, sources: VerifiedSources, index: LedgerIndex): Map<string, string> {
  const needed = new Map<string, string>();
  const need = (key: string, why: string) => { if (!stored.records.has(key) && !needed.has(key)) needed.set(key, why); };
  const heldReceipts = new Set([...sources.receipts.values()].map((r) => r.sha256));
  for (const [contractId, events] of index.byContract) {
    const pileId = contractId.slice(0, 16);
    for (const e of events) {
      if (e.kind === 'opened') need(`${pileId}#${parseInt(contractId.slice(16), 16)}`, `the ledger's Opened event for contract ${contractId} (${txOf(e)}) names it`);
      if ((e.kind === 'settled' || e.kind === 'corrected') && !heldReceipts.has(e.receiptHash.slice(2).toLowerCase())) {
        const receiptSeq = storedInt(stored.contracts.get(contractId)?.['receipt_seq']);
        need(receiptSeq === undefined ? `(receipt of contract ${contractId})` : `${pileId}#${receiptSeq}`,
          `the ledger's ${e.kind} event for contract ${contractId} (${txOf(e)}) names its SHA-256 ${e.receiptHash.slice(2)}`);
      }
    }
  }
  return needed;
}

export function checkRecords(f: Findings, stored: StoredTables, sources: VerifiedSources, index: LedgerIndex): void {
  f.accountFor('records', [...stored.records.values()], RECORDS_COLUMNS);
  for (const [key, row] of stored.records) {
    const check = sources.records.get(key)!;
    if (check.sha256 !== undefined && row['sha256'] !== check.sha256) f.add('records', key, `sha256 stored ${row['sha256']}, derived ${check.sha256} from the signed bytes`);
    if (!check.ok) {
      f.add('records', key, check.reason);
      continue;
    }
    const { held, kind } = check.record;
    f.compareRow('records', key, row, {
      pile_id: { value: held.pileId, from: 'the pile-signed record' },
      seq: { value: held.seq, from: 'the pile-signed record' },
      kind: { value: kind, from: 'the pile-signed record' },
    });
    if (check.record.kind === 'contract') checkTariff(f, key, check.record.held, sources);
  }
  for (const [key, why] of calledFor(stored, sources, index)) f.add('records', key, `no row, yet ${why}`);
}
