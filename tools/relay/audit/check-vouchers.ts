// vouchers: every column from the relay-signed Authorization in `signed` (verified with the
// relay's public key): id, user, pile, pile nonce, limit, cap, tariff version, expiry; issued_at_s
// is the expiry less the reservation (contracts-offline/voucher-lifetime.ts VOUCHER_RESERVATION_S);
// contract_id is the contract that used the voucher (derive-sessions.ts), NULL while none did.
// Vouchers issued before migration 3 (storage/migrations.ts) were signed with a 600 s lifetime
// and had their stored expiry moved 300 s later by it: the migration's applied_at_ms tells them
// apart. Not derivable: cancelled_at_s — its user's cancel request (routes/vouchers.ts) is not
// kept; a cancel only ends the reservation early and cannot reach the pile, so a contract made
// under a cancelled voucher is funded and named in contract_id like any other. An operator's
// resolution cancels the unused voucher its contract names: check-resolutions.ts requires it set
// there. A voucher row deleted is called for by a contract the ledger opened under it; an unused
// voucher deleted leaves no trace anywhere (it only released its reservation early).
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { limitValue } from '../../../contracts-offline/charge-limit.ts';
import type { Authorization } from '../../../contracts-offline/messages/authorization.ts';
import { VOUCHER_RESERVATION_S } from '../../../contracts-offline/voucher-lifetime.ts';
import type { DerivedSessions } from './derive-sessions.ts';
import { type DerivedColumns, type Findings, type TableColumns } from './findings.ts';
import { type LedgerIndex, openingEvent, txOf } from './ledger-index.ts';
import type { StoredTables } from './stored-tables.ts';
import type { VerifiedSources } from './verify-signed.ts';

export const VOUCHERS_COLUMNS: TableColumns = {
  derived: ['voucher_id', 'user_kid', 'pile_id', 'pile_nonce', 'mode', 'limit_value', 'cap_minor', 'tariff_version', 'issued_at_s', 'expires_at_s', 'contract_id', 'signed'],
  underivable: { cancelled_at_s: 'when its user cancelled it: the signed cancel request is not kept (a resolution\'s cancel is checked by check-resolutions.ts)' },
};

/** Before migration 3: a voucher lived 600 s, and the migration moved its stored expiry 300 s on. */
const BEFORE_MIGRATION_3 = { lifetimeS: 600, expiryMovedS: 300 };

function voucherTimes(a: Authorization, migration3AtMs: number): { issuedAtS: number; expiresAtS: number; from: string } {
  if ((a.expiresAtS - BEFORE_MIGRATION_3.lifetimeS) * 1000 < migration3AtMs) {
    return { issuedAtS: a.expiresAtS - BEFORE_MIGRATION_3.lifetimeS, expiresAtS: a.expiresAtS + BEFORE_MIGRATION_3.expiryMovedS, from: 'the Authorization\'s expiry, issued before migration 3 (600 s lifetime, expiry moved 300 s on)' };
  }
  return { issuedAtS: a.expiresAtS - VOUCHER_RESERVATION_S, expiresAtS: a.expiresAtS, from: `the Authorization's expiry (${VOUCHER_RESERVATION_S} s after its issue)` };
}

function voucherColumns(a: Authorization, usedBy: string | undefined, migration3AtMs: number): DerivedColumns {
  const from = 'the relay-signed Authorization';
  const times = voucherTimes(a, migration3AtMs);
  return {
    voucher_id: { value: bytesToHex(a.voucherId), from },
    user_kid: { value: bytesToHex(a.userKid), from },
    pile_id: { value: bytesToHex(a.pileId), from },
    pile_nonce: { value: bytesToHex(a.pileNonce), from },
    mode: { value: a.limit.mode, from },
    limit_value: { value: limitValue(a.limit) ?? null, from },
    cap_minor: { value: a.capMinor, from },
    tariff_version: { value: a.tariffVersion, from },
    expires_at_s: { value: times.expiresAtS, from: times.from },
    issued_at_s: { value: times.issuedAtS, from: times.from },
    contract_id: { value: usedBy ?? null, from: usedBy ? `the pile-signed contract ${usedBy} made under it` : 'the signed contracts held (none used it)' },
  };
}

/** `migration3AtMs`: when storage migration 3 was applied to this database (schema_migrations). */
export function checkVouchers(f: Findings, stored: StoredTables, sources: VerifiedSources, derived: DerivedSessions, index: LedgerIndex, migration3AtMs: number): void {
  f.accountFor('vouchers', [...stored.vouchers.values()], VOUCHERS_COLUMNS);
  for (const [key, row] of stored.vouchers) {
    const check = sources.vouchers.get(key)!;
    if (!check.ok) f.add('vouchers', key, check.reason);
    else f.compareRow('vouchers', key, row, voucherColumns(check.message, derived.voucherUse.get(bytesToHex(check.message.voucherId)), migration3AtMs));
  }
  for (const s of derived.sessions.values()) {
    const voucherId = bytesToHex(s.contract.message.voucherId);
    const opened = openingEvent(index, s.contractId);
    if (!s.voucher && opened && !stored.vouchers.has(voucherId)) {
      f.add('vouchers', voucherId, `no row, yet contract ${s.contractId} (pile-signed) was made under it and the ledger opened it (${txOf(opened)})`);
    }
  }
}
