// Does a pile-signed Contract keep to the relay-signed Authorization (voucher) it names? The one
// field set the phone checks at START, the relay at ingestion (a contract that differs is held
// but disputed: no money moves) and the audit over every contract (design §5).
import { equalBytes } from './bytes.ts';
import { limitValue } from './charge-limit.ts';
import type { Authorization } from './messages/authorization.ts';
import type { Contract } from './messages/contract.ts';

export type VoucherField = 'voucher' | 'user' | 'pile' | 'limit' | 'cap' | 'tariff version';

/** What a voucher grants: the Authorization's terms a contract must keep (its nonce and expiry are the pile's to check). */
export type VoucherTerms = Pick<Authorization, 'voucherId' | 'userKid' | 'pileId' | 'limit' | 'capMinor' | 'tariffVersion'>;

/** The fields in which `contract` differs from `voucher`; empty when it keeps to it. */
export function contractVoucherDifferences(contract: Contract, voucher: VoucherTerms): VoucherField[] {
  const differs: VoucherField[] = [];
  if (!equalBytes(contract.voucherId, voucher.voucherId)) differs.push('voucher');
  if (!equalBytes(contract.userKid, voucher.userKid)) differs.push('user');
  if (!equalBytes(contract.pileId, voucher.pileId)) differs.push('pile');
  if (contract.limit.mode !== voucher.limit.mode || limitValue(contract.limit) !== limitValue(voucher.limit)) differs.push('limit');
  if (contract.capMinor !== voucher.capMinor) differs.push('cap');
  if (contract.tariff.version !== voucher.tariffVersion) differs.push('tariff version');
  return differs;
}
