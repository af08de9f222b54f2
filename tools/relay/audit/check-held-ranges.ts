// held_ranges: each pile's runs of consecutive billing sequences, derived from the records rows
// (checked against their signed bytes in check-records.ts). A wrong run changes which sequences the
// relay's Acks tell a pile are held, and which gaps operators see.
import { type DerivedColumns, type Findings, type TableColumns, compareTable, storedInt, storedText } from './findings.ts';
import type { StoredTables } from './stored-tables.ts';

export const HELD_RANGES_COLUMNS: TableColumns = { derived: ['pile_id', 'from_seq', 'to_seq'], underivable: {} };

function derivedRuns(stored: StoredTables): Map<string, { columns: DerivedColumns; needs: string }> {
  const seqsByPile = new Map<string, number[]>();
  for (const row of stored.records.values()) {
    const pileId = storedText(row['pile_id']);
    const seq = storedInt(row['seq']);
    if (pileId === undefined || seq === undefined) continue; // reported by the records check
    const seqs = seqsByPile.get(pileId) ?? [];
    seqs.push(seq);
    seqsByPile.set(pileId, seqs);
  }
  const runs = new Map<string, { columns: DerivedColumns; needs: string }>();
  const from = 'the records rows';
  for (const [pileId, seqs] of seqsByPile) {
    seqs.sort((a, b) => a - b);
    for (let i = 0; i < seqs.length;) {
      let j = i;
      while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
      runs.set(`${pileId}#${seqs[i]}`, {
        columns: { pile_id: { value: pileId, from }, from_seq: { value: seqs[i], from }, to_seq: { value: seqs[j], from } },
        needs: `records ${pileId}#${seqs[i]}..${seqs[j]} are held`,
      });
      i = j + 1;
    }
  }
  return runs;
}

export function checkHeldRanges(f: Findings, stored: StoredTables): void {
  f.accountFor('held_ranges', [...stored.held_ranges.values()], HELD_RANGES_COLUMNS);
  compareTable(f, 'held_ranges', stored.held_ranges, derivedRuns(stored), () => 'no records rows start a run of sequences here');
}
