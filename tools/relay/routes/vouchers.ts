// Vouchers (relay-signed Authorization, tap 2): issued only for a verified user request (auth.ts),
// when the user has no open (full) contract or full voucher outstanding (R8, 409), and the balance
// plus credit line covers the cap (R11, 402). The cap is reserved until a contract uses the voucher
// or it expires (billing/book.ts). A retry for the same tap (same pile nonce and limit, e.g. after
// a lost answer) gets the same voucher back and reserves nothing more: the pile consumes the
// nonce, so only one voucher per nonce can ever start a contract.
import { bytesToBase64url, bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { limitValue } from '../../../contracts-offline/charge-limit.ts';
import { encodeAuthorization } from '../../../contracts-offline/messages/authorization.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { VOUCHER_RESERVATION_GRACE_S, readBook, standingOf } from '../billing/book.ts';
import { voucherCap } from '../billing/voucher-cap.ts';
import { HttpError, invalidField } from '../errors.ts';
import type { RouteHandler } from '../http/routes.ts';
import { bytesColumn } from '../storage/db.ts';
import { currentConfig } from './piles.ts';

const issueVoucher: RouteHandler<'issueVoucher'> = async (ctx, { body, signer }) => {
  const pileId = body.pileId.toLowerCase();
  const pileNonce = hexToBytes(body.pileNonce);
  const limit = body.limit;
  const userKid = signer.kid;
  const config = await currentConfig(ctx.db, pileId);
  const nowS = ctx.nowS();
  return ctx.db.transaction(async (tx) => {
    const book = (await readBook(tx, userKid, ctx.db.forUpdate))!;
    const sameTap = await tx.get<{ voucher_id: string; mode: string; limit_value: number | null; signed: unknown }>(
      'SELECT voucher_id, mode, limit_value, signed FROM vouchers WHERE user_kid = ? AND pile_id = ? AND pile_nonce = ? AND contract_id IS NULL AND expires_at_s >= ?',
      [userKid, pileId, bytesToHex(pileNonce), nowS],
    );
    if (sameTap) {
      if (sameTap.mode !== limit.mode || (sameTap.limit_value === null ? undefined : Number(sameTap.limit_value)) !== limitValue(limit)) {
        throw new HttpError('voucher-outstanding', `voucher ${sameTap.voucher_id} was issued for this pile nonce with another limit: tap the pile again for a fresh nonce`);
      }
      return { status: 200, body: { authorization: bytesToBase64url(bytesColumn(sameTap.signed, 'signed')) } };
    }
    const open = await tx.get<{ contract_id: string }>("SELECT contract_id FROM contracts WHERE user_kid = ? AND capped = 0 AND status = 'provisional'", [userKid]);
    if (open) throw new HttpError('open-contract-outstanding', `open (full) contract ${open.contract_id} has no receipt yet: tap its pile, or any phone may carry the receipt`);
    const fullVoucher = await tx.get<{ voucher_id: string; expires_at_s: number }>(
      "SELECT voucher_id, expires_at_s FROM vouchers WHERE user_kid = ? AND mode = 'full' AND contract_id IS NULL AND expires_at_s + ? >= ?",
      [userKid, VOUCHER_RESERVATION_GRACE_S, nowS],
    );
    if (fullVoucher) throw new HttpError('open-contract-outstanding', `voucher ${fullVoucher.voucher_id} for a full (open) charge is outstanding until ${Number(fullVoucher.expires_at_s) + VOUCHER_RESERVATION_GRACE_S}`);
    const standing = await standingOf(tx, book, nowS, ctx.policy);
    const cap = voucherCap(limit, config.tariff, config.maxPowerW, standing.availableMinor, ctx.policy.caps);
    if (!cap.ok && cap.code === 'above-u32') throw invalidField('limit', cap.reason);
    if (!cap.ok) throw new HttpError('insufficient-funds', cap.reason);
    if (cap.value > standing.availableMinor) {
      throw new HttpError('insufficient-funds', `the cap is ${cap.value}, available (balance + credit − reserved − used) is ${standing.availableMinor}`);
    }
    const voucherId = crypto.getRandomValues(new Uint8Array(8));
    const expiresAtS = nowS + ctx.policy.voucherTtlS;
    const authorization = signMessage(
      encodeAuthorization({ voucherId, userKid: hexToBytes(userKid), pileId: hexToBytes(pileId), pileNonce, limit, capMinor: cap.value, tariffVersion: config.tariff.version, expiresAtS }),
      ctx.relayKey.secretKey,
      { kid: ctx.relayKey.kid, crypto: ctx.crypto },
    );
    await tx.run(
      `INSERT INTO vouchers (voucher_id, user_kid, pile_id, pile_nonce, mode, limit_value, cap_minor, tariff_version, issued_at_s, expires_at_s, signed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [bytesToHex(voucherId), userKid, pileId, bytesToHex(pileNonce), limit.mode, limitValue(limit) ?? null, cap.value, config.tariff.version, nowS, expiresAtS, authorization],
    );
    return { status: 201, body: { authorization: bytesToBase64url(authorization) } };
  });
};

export const voucherHandlers = { issueVoucher };
