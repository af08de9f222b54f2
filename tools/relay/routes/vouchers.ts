// Vouchers (relay-signed Authorization, tap 2): issued only for a verified user request (auth.ts),
// when the user has no open (full) contract or full voucher outstanding (R8, 409), and the balance
// plus credit line covers the cap (R11, 402). The cap is reserved until a contract uses the
// voucher, its user cancels it, or the voucher's expiresAtS passes — VOUCHER_RESERVATION_S after
// its issue, longer than any pile can still take it (contracts-offline/voucher-lifetime.ts). A
// retry for the same tap (same pile nonce and limit, e.g. after a lost answer) gets the same
// voucher back and reserves nothing more: the pile uses the nonce once, so only one voucher per
// nonce can ever start a contract.
//
// A cancel (its user's signed request) ends the reservation at once. The pile cannot know of it:
// a cancelled voucher that still reaches its pile in time starts a contract, and the relay funds
// that contract like one whose voucher expired in the relay's view (apply-contract.ts: an
// operator advance, recorded as debt, when the funds have moved since) — the session happened.
import { bytesToBase64url, bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { type ChargeLimit, limitValue } from '../../../contracts-offline/charge-limit.ts';
import { encodeAuthorization } from '../../../contracts-offline/messages/authorization.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { VOUCHER_RESERVATION_S } from '../../../contracts-offline/voucher-lifetime.ts';
import { RESERVING_VOUCHER, readBook, reservedMinorOf, standingFrom, standingOf } from '../billing/book.ts';
import { voucherCap } from '../billing/voucher-cap.ts';
import type { RelayContext } from '../context.ts';
import { HttpError, invalidField } from '../errors.ts';
import type { RouteHandler } from '../http/routes.ts';
import { type Queryable, bytesColumn } from '../storage/db.ts';
import { currentConfig } from './piles.ts';

export type VoucherRequest = { pileId: string; pileNonce: Uint8Array; limit: ChargeLimit };
export type IssuedVoucher = { status: 200 | 201; authorization: Uint8Array };

/** R8's refusal (409 open-contract-outstanding) while the user has an open (full) contract or full voucher outstanding. */
async function openContractRefusal(q: Queryable, userKid: string, nowS: number): Promise<HttpError | undefined> {
  const [open, fullVoucher] = await Promise.all([
    q.get<{ contract_id: string }>("SELECT contract_id FROM contracts WHERE user_kid = ? AND capped = 0 AND status = 'provisional'", [userKid]),
    q.get<{ voucher_id: string; expires_at_s: number }>(
      `SELECT voucher_id, expires_at_s FROM vouchers WHERE user_kid = ? AND mode = 'full' AND ${RESERVING_VOUCHER}`,
      [userKid, nowS],
    ),
  ]);
  if (open) return new HttpError('open-contract-outstanding', `open (full) contract ${open.contract_id} has no receipt yet: tap its pile, or any phone may carry the receipt`);
  if (fullVoucher) {
    return new HttpError('open-contract-outstanding', `voucher ${fullVoucher.voucher_id} for a full (open) charge is outstanding until ${Number(fullVoucher.expires_at_s)}: cancel it, or use it`);
  }
  return undefined;
}

/** Whether the user may charge at all now (before a mode is chosen): the voucher rules' 409, and 402 when nothing is available. */
export async function checkMayCharge(ctx: RelayContext, userKid: string): Promise<void> {
  const nowS = ctx.nowS();
  const refusal = await openContractRefusal(ctx.db, userKid, nowS);
  if (refusal) throw refusal;
  const standing = await standingOf(ctx.db, (await readBook(ctx.db, userKid, ''))!, nowS, ctx.policy);
  if (standing.availableMinor <= 0) throw new HttpError('insufficient-funds', `nothing is available to charge with (balance + credit − reserved − used is ${standing.availableMinor})`);
}

/** A voucher for `userKid` (a verified signer) at the pile's nonce: 201 a new one, 200 the one already issued for this nonce and limit. */
export async function issueVoucherFor(ctx: RelayContext, userKid: string, request: VoucherRequest): Promise<IssuedVoucher> {
  const pileId = request.pileId.toLowerCase();
  const { pileNonce, limit } = request;
  const config = await currentConfig(ctx.db, pileId);
  const nowS = ctx.nowS();
  return ctx.db.transaction(async (tx) => {
    // Every read at once, the book's lock first (statements run in the order sent): one round trip on PostgreSQL.
    const [book, sameTap, refusal, reservedMinor] = await Promise.all([
      readBook(tx, userKid, ctx.db.forUpdate),
      tx.get<{ voucher_id: string; mode: string; limit_value: number | null; signed: unknown }>(
        `SELECT voucher_id, mode, limit_value, signed FROM vouchers WHERE user_kid = ? AND pile_id = ? AND pile_nonce = ? AND ${RESERVING_VOUCHER}`,
        [userKid, pileId, bytesToHex(pileNonce), nowS],
      ),
      openContractRefusal(tx, userKid, nowS),
      reservedMinorOf(tx, userKid, nowS),
    ]);
    if (sameTap) {
      if (sameTap.mode !== limit.mode || (sameTap.limit_value === null ? undefined : Number(sameTap.limit_value)) !== limitValue(limit)) {
        throw new HttpError('voucher-outstanding', `voucher ${sameTap.voucher_id} was issued for this pile nonce with another limit: tap the pile again for a fresh nonce`);
      }
      return { status: 200, authorization: bytesColumn(sameTap.signed, 'signed') };
    }
    if (refusal) throw refusal;
    const standing = standingFrom(book!, reservedMinor, ctx.policy);
    const cap = voucherCap(limit, config.tariff, config.maxPowerW, standing.availableMinor, ctx.policy.caps);
    if (!cap.ok && cap.code === 'above-u32') throw invalidField('limit', cap.reason);
    if (!cap.ok) throw new HttpError('insufficient-funds', cap.reason);
    if (cap.value > standing.availableMinor) {
      throw new HttpError('insufficient-funds', `the cap is ${cap.value}, available (balance + credit − reserved − used) is ${standing.availableMinor}`);
    }
    const voucherId = crypto.getRandomValues(new Uint8Array(8));
    const expiresAtS = nowS + VOUCHER_RESERVATION_S;
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
    return { status: 201, authorization };
  });
}

const issueVoucher: RouteHandler<'issueVoucher'> = async (ctx, { body, signer }) => {
  const issued = await issueVoucherFor(ctx, signer.kid, { pileId: body.pileId, pileNonce: hexToBytes(body.pileNonce), limit: body.limit });
  return { status: issued.status, body: { authorization: bytesToBase64url(issued.authorization) } };
};

type CancelRow = { user_kid: string; cap_minor: number; expires_at_s: number; contract_id: string | null; cancelled_at_s: number | null };

// The voucher row is locked as ingestion locks it (apply-contract.ts), so a cancel and the
// contract that uses the voucher are decided one after the other: whichever comes second sees
// the first. Cancelling again answers the first cancel; an expired voucher is cancelled with
// nothing left to release.
export type CancelledVoucher = { voucherId: string; cancelledAtS: number; releasedMinor: number };

/** Cancels `userKid`'s unused voucher `voucherId` (lowercase hex); again: the first cancel, nothing released. */
export async function cancelVoucherOf(ctx: RelayContext, userKid: string, voucherId: string): Promise<CancelledVoucher> {
  const nowS = ctx.nowS();
  return ctx.db.transaction(async (tx) => {
    const row = await tx.get<CancelRow>(`SELECT user_kid, cap_minor, expires_at_s, contract_id, cancelled_at_s FROM vouchers WHERE voucher_id = ?${ctx.db.forUpdate}`, [voucherId]);
    // Another user's voucher answers as an unknown one: voucher ids are not told to strangers.
    if (!row || row.user_kid !== userKid) throw new HttpError('unknown-voucher', `user ${userKid} holds no voucher ${voucherId}`);
    if (row.contract_id !== null) throw new HttpError('voucher-used', `voucher ${voucherId} started contract ${row.contract_id}: it cannot be cancelled`);
    if (row.cancelled_at_s !== null) return { voucherId, cancelledAtS: Number(row.cancelled_at_s), releasedMinor: 0 };
    await tx.run('UPDATE vouchers SET cancelled_at_s = ? WHERE voucher_id = ?', [nowS, voucherId]);
    const releasedMinor = Number(row.expires_at_s) >= nowS ? Number(row.cap_minor) : 0;
    return { voucherId, cancelledAtS: nowS, releasedMinor };
  });
}

const cancelVoucher: RouteHandler<'cancelVoucher'> = async (ctx, { params, signer }) =>
  ({ status: 200, body: await cancelVoucherOf(ctx, signer.kid, params.voucherId.toLowerCase()) });

export const voucherHandlers = { issueVoucher, cancelVoucher };
