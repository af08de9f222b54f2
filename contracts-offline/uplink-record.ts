// A billing record the pile delivers over its OCPP uplink (design §6c): DataTransfer with our
// vendorId, messageId BillingRecord, `data` = the signed Contract or Receipt as base64url, the
// very bytes a phone would carry. The relay ingests it as it ingests a phone's upload and answers
// Accepted with `data` = the relay-signed Ack (base64url) that covers it — stored, or already held
// (a duplicate) — or Rejected with `data` = why, one of the upload's error codes
// (tools/relay/README.md). The pile marks the record acknowledged only from that verified Ack.
export const BILLING_RECORD_MESSAGE_ID = 'BillingRecord';
