// records: every held billing record, from its own pile-signed bytes — pile_id, seq and kind from
// the message, sha256 from the bytes; and its contract's tariff must be the one the relay signed
// for the pile under that tariff version (a pile bills only with prices from a PileUpdate).
// A row deleted is called for by the ledger's events (a contract id is pile ‖ sequence; a
// settlement needs a receipt of its contract), and fails the batch's records digest (check-ledger.ts).
// Not derivable: received_at_s (the relay's clock on arrival; cross-checked with the contract and
// receipt rows stored in the same transaction), gap_below (whether lower sequences were held then:
// the arrival order is not signed). A hole in a pile's sequence is a record not carried yet unless
// something above names it: a record deleted together with everything that named it (a disputed
// contract never reaches the ledger) looks like one.
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Tariff } from '../../../contracts-offline/messages/fields.ts';
import { type Findings, type TableColumns, storedInt } from './findings.ts';
import { type LedgerIndex, openingEvent, openingName, txOf } from './ledger-index.ts';
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
 * Records the ledger names that are not stored: a contract id is pile ‖ sequence (an Opened event,
 * or a one-step Settled one, names its contract); a settlement or correction needs a receipt of
 * its contract (its sequence is taken from the contracts row when it has one; which receipt it was
 * the batch's records digest tells, check-ledger.ts). Rows of other tables are no witness here: a
 * contracts row without its record is reported by the contracts check, since a deleted record and
 * an inserted row look alike there.
 */
function calledFor(stored: StoredTables, sources: VerifiedSources, index: LedgerIndex): Map<string, string> {
  const needed = new Map<string, string>();
  const need = (key: string, why: string) => { if (!stored.records.has(key) && !needed.has(key)) needed.set(key, why); };
  const receiptHeldFor = new Set([...sources.receipts.values()].map((r) => contractIdHex(r.message.pileId, r.message.contractSeq)));
  for (const [contractId, events] of index.byContract) {
    const pileId = contractId.slice(0, 16);
    const opening = openingEvent(index, contractId);
    if (opening) need(`${pileId}#${parseInt(contractId.slice(16), 16)}`, `the ledger's ${openingName(opening)} for contract ${contractId} (${txOf(opening)}) names it`);
    for (const e of events) {
      if ((e.kind === 'settled' || e.kind === 'corrected') && !receiptHeldFor.has(contractId)) {
        const receiptSeq = storedInt(stored.contracts.get(contractId)?.['receipt_seq']);
        need(receiptSeq === undefined ? `(receipt of contract ${contractId})` : `${pileId}#${receiptSeq}`,
          `the ledger's ${e.kind} event for contract ${contractId} (${txOf(e)}) settles it on a receipt`);
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
