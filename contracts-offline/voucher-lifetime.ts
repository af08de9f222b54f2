// How long a voucher can start a contract, and how long the relay holds its cap (design §6, §7):
// the one rule the pile, the relay and the phone apply. A pile's clock may be hours or days off the
// relay's, and drifts, so the pile never compares a time the relay wrote with its own clock: it
// takes a voucher while the tap nonce the voucher is bound to is fresh — at most
// PILE_NONCE_LIFETIME_MS after the SELECT that issued it, measured on the pile's own clock. The
// relay signs a voucher only after that SELECT (the nonce is in the request), so on the relay's
// clock the last moment a pile can take a voucher issued at second `issuedAtS` is before
//
//   issuedAtS + 1 + PILE_NONCE_LIFETIME_MS / 1000 × (1 + ρ)     (a second of the pile's clock lasts
//                                                                 1 + ρ of the relay's; + 1: issuedAtS
//                                                                 is floored)
//
// and the voucher's expiresAtS, where the relay stops reserving its cap, is
//
//   expiresAtS = issuedAtS + VOUCHER_RESERVATION_S ≥ that bound for every ρ ≤ PILE_CLOCK_SLOW_MAX_PER_MILLE / 1000,
//
// so a cap is never released while a pile could still start a contract on its voucher (unless the
// voucher's user cancelled it). The pile's clock is assumed to run, not to be set: a clock set back
// by less than a nonce's age would lengthen that nonce's life by the step (a larger step makes the
// nonce unusable). Nothing in the firmware sets it.

/** A tap nonce, and a voucher bound to it, is usable this long after the SELECT that issued it, on the pile's clock. */
export const PILE_NONCE_LIFETIME_MS = 15 * 60_000;

/** ρ: how much longer than the relay's a second of a pile's clock may last for the reservation to still cover it, ‰ (a quartz clock is within 0.1 ‰). */
export const PILE_CLOCK_SLOW_MAX_PER_MILLE = 10;

/** From a voucher's issue to its expiresAtS, on the relay's clock: 1 + ⌈900 s × 1.010⌉ = 910 s. */
export const VOUCHER_RESERVATION_S = 1 + Math.ceil((PILE_NONCE_LIFETIME_MS * (1000 + PILE_CLOCK_SLOW_MAX_PER_MILLE)) / 1_000_000);

/**
 * True while a nonce issued at `issuedAtMs` is usable at `nowMs`, both read from one clock: at
 * most PILE_NONCE_LIFETIME_MS old, and not issued in that clock's future (a clock set back).
 */
export function isNonceFresh(issuedAtMs: number, nowMs: number): boolean {
  const ageMs = nowMs - issuedAtMs;
  return ageMs >= 0 && ageMs <= PILE_NONCE_LIFETIME_MS;
}
