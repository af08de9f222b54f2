// A pile's provisioning record both ways: as bytes (what the pile's service console writes,
// firmware/records/provisioning-record.ts, plus the config version of its PileUpdate) and as the
// JSON the relay answers and provisioning files hold (ProvisioningRecordJson in routes.ts).
// Platform-neutral: the phone's relay client and the host tools use it.
import type { Static } from 'typebox';
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { ProvisioningRecordJson } from './routes.ts';

export type ProvisioningJson = Static<typeof ProvisioningRecordJson>;

export type PileProvisioning = {
  pileId: Uint8Array;
  relayPublicKey: Uint8Array;
  /** The key registered for the pile: the one its key store must hold. */
  pilePublicKey: Uint8Array;
  configVersion: number;
  /** Relay-signed PileUpdate (COSE_Sign1) for this pile. */
  pileUpdate: Uint8Array;
  /** The billing sequence the pile starts at: 1 at registration, past every record the relay holds when it is provisioned again. */
  firstBillingSeq: number;
};

/** `json` checked against ProvisioningRecordJson first (checkJson): every field is then well formed. */
export function provisioningFromJson(json: ProvisioningJson): PileProvisioning {
  return {
    pileId: hexToBytes(json.pileId),
    relayPublicKey: hexToBytes(json.relayPublicKey),
    pilePublicKey: hexToBytes(json.pilePublicKey),
    configVersion: json.configVersion,
    pileUpdate: base64urlToBytes(json.pileUpdate),
    firstBillingSeq: json.firstBillingSeq,
  };
}

export function provisioningToJson(record: PileProvisioning): ProvisioningJson {
  return {
    pileId: bytesToHex(record.pileId),
    relayPublicKey: bytesToHex(record.relayPublicKey),
    pilePublicKey: bytesToHex(record.pilePublicKey),
    configVersion: record.configVersion,
    pileUpdate: bytesToBase64url(record.pileUpdate),
    firstBillingSeq: record.firstBillingSeq,
  };
}
