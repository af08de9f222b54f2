// The virtual channel over the OCPP uplink (design §6c, R9): the relay carries a phone's requests
// to a connected pile as DataTransfer with our vendorId. Each messageId is one card command of
// the NFC application (apdu.ts INS), its `data` the command's data as base64url; the pile answers
// with the command's own answer: Accepted with `data` = the response data as base64url (status
// word 9000), or Rejected with `data` = the status word as 4 uppercase hex digits ("6982",
// apdu.ts swHex). So a
// request means the same, and is checked by the same code, whether it came through the air or
// through the relay.

/** DataTransfer messageIds of the channel (vendorId UPLINK_VENDOR_ID), by the card command each carries. */
export const CHANNEL_MESSAGE_IDS = Object.freeze({
  /** SELECT: no data → PileHello (a fresh pile nonce). */
  select: 'ChannelSelect',
  /** HELLO: UserHello → PileInfo signed by the pile over the phone's nonce. */
  hello: 'ChannelHello',
  /** UPDATE: a relay-signed PileUpdate newer than the pile's config → no data. */
  update: 'ChannelUpdate',
  /** START: a relay-signed voucher → the pile-signed Contract. */
  start: 'ChannelStart',
  /** STOP: StopRequest (+ user key) → the pile-signed Receipt. */
  stop: 'ChannelStop',
  /** ACK: a relay-signed Ack → the count of records still unacknowledged. */
  ack: 'Ack',
});

export type ChannelCommand = keyof typeof CHANNEL_MESSAGE_IDS;

const statusWordPattern = /^[0-9A-F]{4}$/;

/** The status word of a Rejected answer's `data` (swHex's form), or undefined when it is not one. */
export function parseStatusWordText(text: unknown): number | undefined {
  return typeof text === 'string' && statusWordPattern.test(text) ? Number.parseInt(text, 16) : undefined;
}
