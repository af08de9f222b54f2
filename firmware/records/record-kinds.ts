// Journal record kinds of the pile (firmware/journal takes any kind 0..127) and their retention.
// 'state' records live while they are the latest of their kind; 'billing' records live until a
// relay-signed Ack covers them and their session is settled (firmware/journal/journal.ts).
export const RecordKind = Object.freeze({
  /** Pile id, relay public key, pile public key, first relay-signed PileUpdate (state). */
  provisioning: 1,
  /** A newer relay-signed PileUpdate, as received (state). */
  config: 2,
  /** The next billing sequence, written before an Ack may let the newest billing record go (state). */
  billingFloor: 3,
  /** Meter register and elapsed time of the running session (state). */
  checkpoint: 4,
  /** A pile-signed Contract, as handed out (billing). */
  contract: 16,
  /** A pile-signed Receipt, as handed out (billing, written settled). */
  receipt: 17,
});
