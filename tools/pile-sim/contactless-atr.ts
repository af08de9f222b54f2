// The ATR a PC/SC reader shows for a contactless ISO 14443-4 type A card (PC/SC Part 3,
// "ATR for ISO 14443-4 cards": contactless cards have no ATR, the reader builds one from the
// card's ATS). Bytes (ISO 7816-3 §8.2):
//   3B          TS, direct convention
//   8n          T0: TD1 follows, n = number of historical bytes
//   80          TD1: TD2 follows, protocol T=0
//   01          TD2: nothing follows, protocol T=1
//   T1..Tn      the historical bytes of the ATS (at most 15)
//   TCK         XOR of T0 .. Tn (ISO 7816-3 §8.2.5: T0 through TCK XOR to zero)
// Published ATRs of this form: 3B 80 80 01 01 (no historical bytes, e.g. Android host card
// emulation), 3B 81 80 01 80 80 (historical byte 80, MIFARE DESFire EV1),
// 3B 8A 80 01 "JCOP31V232" 7A.

const HISTORICAL_MAX_BYTES = 15;

export function contactlessAtr(historicalBytes: Uint8Array): Uint8Array {
  if (!(historicalBytes instanceof Uint8Array) || historicalBytes.length > HISTORICAL_MAX_BYTES) {
    throw new RangeError(`contactless-atr: "historicalBytes" expected at most ${HISTORICAL_MAX_BYTES} bytes, got ${historicalBytes instanceof Uint8Array ? historicalBytes.length : typeof historicalBytes}`);
  }
  const atr = new Uint8Array(5 + historicalBytes.length);
  atr.set([0x3b, 0x80 | historicalBytes.length, 0x80, 0x01]);
  atr.set(historicalBytes, 4);
  let check = 0;
  for (let i = 1; i < atr.length - 1; i++) check ^= atr[i]!;
  atr[atr.length - 1] = check;
  return atr;
}
