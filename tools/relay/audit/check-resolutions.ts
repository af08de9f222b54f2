// contract_resolutions: an operator's decision on a disputed contract (routes/operator/resolve.ts).
// The request's signature is not kept, so the decision is the operator's word; what the sources
// bear out of it is checked:
//   contract_id  a contract held (pile-signed) that its signed records dispute (derive-sessions.ts),
//                with its receipt held: a contract is resolved only once its receipt is
//   decision     settle exactly when the ledger opened the disputed contract (a settle writes open
//                and settle; one still pending fails: audit once the outbox has drained), else
//                void — a void writes nothing anywhere but this row and the contract's status
//   and the voucher the contract names, when it is its user's and no contract used it, is
//   cancelled (cancelled_at_s set): the resolution cancels it in the same transaction.
// Not derivable: reason (the operator's text), at_s (the relay's clock), operator_kid (which
// operator decided is not signed: checked to be an operator key the audit trusts). A void row and
// the contract's status `voided` are written together and nothing else records a void: a voided
// contract without its row reads as its status changed (contracts), and so does a void row on a
// contract stored disputed whose voucher was cancelled (with the voucher still reserving, this
// row is named).
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { keyId } from '../../../contracts-offline/keys.ts';
import type { Row } from '../storage/db.ts';
import type { DerivedSession, DerivedSessions } from './derive-sessions.ts';
import { type Findings, type TableColumns, shown } from './findings.ts';
import { type LedgerIndex, openingEvent, openingName, txOf } from './ledger-index.ts';
import type { AuditAnchors } from './open-relay-data.ts';
import type { StoredTables } from './stored-tables.ts';
import type { VerifiedSources } from './verify-signed.ts';

export const CONTRACT_RESOLUTIONS_COLUMNS: TableColumns = {
  derived: ['contract_id', 'decision'],
  underivable: {
    reason: 'the operator\'s text: the request is not kept',
    operator_kid: 'which operator decided: the request\'s signature is not kept (checked to be an operator key the audit trusts)',
    at_s: 'when the operator decided: the relay\'s clock, nothing signs it',
  },
};

/** The kids of the operator keys the audit trusts (DATA/operator-key.json). */
export function operatorKids(anchors: AuditAnchors): ReadonlySet<string> {
  return new Set(anchors.operatorPublicKeys.map((key) => bytesToHex(keyId(key))));
}

/** operator_kid of a decision row: an operator key the audit trusts, though which one is not signed. */
export function checkOperatorKid(f: Findings, table: string, key: string, row: Row, operators: ReadonlySet<string>): void {
  const kid = row['operator_kid'];
  if (typeof kid !== 'string' || !operators.has(kid)) {
    f.add(table, key, `operator_kid stored ${shown(kid)}: no operator key the audit trusts has this kid (DATA/operator-key.json holds ${[...operators].join(', ')})`);
  }
}

function noSource(key: string, s: DerivedSession | undefined): string | undefined {
  if (!s) return 'no pile-signed contract with this id is held: only a held, disputed contract is resolved';
  if (!s.dispute) return `contract ${s.pileId}#${s.seq} is not disputed: its signed records keep to its voucher (only a disputed contract is resolved)`;
  if (!s.receipt) return `no receipt is held for contract ${key}: a contract is resolved only once its receipt is`;
  return undefined;
}

/** The voucher a resolution must have cancelled: the one the contract names, its user's, used by no contract. */
function voucherLeftReserving(s: DerivedSession, stored: StoredTables, sources: VerifiedSources, derived: DerivedSessions): string | undefined {
  const voucherId = bytesToHex(s.contract.message.voucherId);
  const voucher = sources.authorizations.get(voucherId);
  if (!voucher || bytesToHex(voucher.userKid) !== s.userKid || derived.voucherUse.has(voucherId)) return undefined;
  const row = stored.vouchers.get(voucherId);
  return row && row['cancelled_at_s'] === null ? voucherId : undefined;
}

export function checkResolutions(f: Findings, stored: StoredTables, sources: VerifiedSources, derived: DerivedSessions, index: LedgerIndex, anchors: AuditAnchors): void {
  f.accountFor('contract_resolutions', [...stored.contract_resolutions.values()], CONTRACT_RESOLUTIONS_COLUMNS);
  const operators = operatorKids(anchors);
  const settled = [...derived.sessions.values()].filter((s) => s.resolved?.decision === 'settle').map((s) => s.contractId);
  for (const key of [...new Set([...stored.contract_resolutions.keys(), ...settled])].sort()) {
    const row = stored.contract_resolutions.get(key);
    const s = derived.sessions.get(key);
    const opened = openingEvent(index, key);
    if (!row) {
      f.add('contract_resolutions', key, `no row, yet the ledger's ${openingName(opened!)} (${txOf(opened!)}) of contract ${s!.pileId}#${s!.seq}, disputed (${s!.dispute}), calls for it: only a settle resolution writes a disputed contract to the ledger`);
      continue;
    }
    const missing = noSource(key, s);
    if (missing) {
      f.add('contract_resolutions', key, `no source: ${missing}`);
      continue;
    }
    f.compareRow('contract_resolutions', key, row, {
      decision: opened
        ? { value: 'settle', from: `the ledger's ${openingName(opened)} of the disputed contract (${txOf(opened)}): only a settle resolution writes one` }
        : { value: 'void', from: 'the ledger, which has no Opened or one-step Settled event for it (a settle writes open and settle: audit once the outbox has drained)' },
    });
    const reserving = voucherLeftReserving(s!, stored, sources, derived);
    if (reserving) f.add('contract_resolutions', key, `voucher ${reserving}, which contract ${key} names, is not cancelled (cancelled_at_s NULL), yet a resolution cancels it in the same transaction`);
    checkOperatorKid(f, 'contract_resolutions', key, row, operators);
  }
}
