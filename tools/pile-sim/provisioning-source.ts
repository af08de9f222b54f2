// A pile's provisioning record as a file, and where a simulated pile's record comes from: the relay
// (register the pile with an operator key: POST /v1/piles answers the record) or a file holding
// that same answer. The one reader and writer of provisioning files: `tapcharge relay register-pile
// --out` writes one, `tapcharge pile serve --provisioning` reads one, and a served pile keeps its
// record as DATA/provisioning.json. The format is the relay's answer, ProvisioningRecordJson
// (tools/relay-api/routes.ts): {pileId, relayPublicKey, pilePublicKey, configVersion, pileUpdate}.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { bytesToHex, equalBytes } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import { readSigned } from '../../contracts-offline/signed.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { checkJson } from '../relay-api/explain.ts';
import { type PileProvisioning, provisioningFromJson, provisioningToJson } from '../relay-api/provisioning-record.ts';
import { ProvisioningRecordJson } from '../relay-api/routes.ts';
import { PileSimError } from './errors.ts';

/** What the pile's console writes (firmware/records/provisioning-record.ts); a file adds the config version. */
export type ProvisioningRecord = Omit<PileProvisioning, 'configVersion'>;

/** A provisioning file is a few hundred bytes; anything near this bound is not one. */
const PROVISIONING_FILE_MAX_BYTES = 16 * 1024;

export type PileRegistrationRequest = {
  relayUrl: string;
  operatorKey: KeyPair;
  pileId: Uint8Array;
  pileKey: KeyPair;
  operator: string;
  label: string;
  maxPowerW: number;
  tariff: Omit<Tariff, 'version'>;
};

export async function provisioningFromRelay(request: PileRegistrationRequest): Promise<PileProvisioning> {
  const relay = new RelayClient({ baseUrl: request.relayUrl });
  const record = await relay.registerPile(request.operatorKey, {
    pileId: request.pileId, publicKey: request.pileKey.publicKey, operator: request.operator, label: request.label, maxPowerW: request.maxPowerW, tariff: request.tariff,
  });
  if (!equalBytes(record.pileId, request.pileId)) throw new PileSimError('provisioning', `the relay registered pile ${bytesToHex(record.pileId)}, not ${bytesToHex(request.pileId)}`);
  if (!equalBytes(record.pilePublicKey, request.pileKey.publicKey)) throw new PileSimError('provisioning', `the relay registered pile key ${bytesToHex(record.pilePublicKey)}, not this pile's ${bytesToHex(request.pileKey.publicKey)}`);
  return record;
}

/** The file's bytes, refused once past `maxBytes` (a device such as /dev/zero never ends). */
function readAtMost(path: string, maxBytes: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const got = readSync(fd, buffer, length, buffer.length - length, null);
      if (got === 0) break;
      length += got;
    }
    if (length > maxBytes) throw new PileSimError('provisioning', `${path}: more than ${maxBytes} bytes, no provisioning record`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * The record in `path`, for the pile whose key is `pileKey`: refused (PileSimError 'provisioning')
 * when the file cannot be read, is not a provisioning record, or was made for another pile key —
 * provisioned with it, the pile would sign with a key the relay never registered.
 */
export function readProvisioningFile(path: string, pileKey: Pick<KeyPair, 'publicKey'>): PileProvisioning {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(readAtMost(path, PROVISIONING_FILE_MAX_BYTES)));
  } catch (error) {
    if (error instanceof PileSimError) throw error;
    throw new PileSimError('provisioning', `cannot read provisioning file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'invalid JSON'}`);
  }
  const checked = checkJson(ProvisioningRecordJson, json, 'file');
  if (!checked.ok) throw new PileSimError('provisioning', `${path}: ${checked.reason}`);
  const record = provisioningFromJson(checked.value);
  if (!equalBytes(record.pilePublicKey, pileKey.publicKey)) {
    throw new PileSimError('provisioning', `${path} was made for pile key ${checked.value.pilePublicKey.toLowerCase()}, not this pile's ${bytesToHex(pileKey.publicKey)}: register this pile's key (tapcharge relay register-pile --public-key) and use that record`);
  }
  return record;
}

/** Writes `record` as the relay answers it; the config version is its PileUpdate's. */
export function writeProvisioningFile(path: string, record: ProvisioningRecord): void {
  const update = readSigned(record.pileUpdate, 'PileUpdate');
  if (!update.ok) throw new TypeError(`provisioning-source: "pileUpdate" is not a signed PileUpdate (${update.reason})`);
  writeFileSync(path, JSON.stringify(provisioningToJson({ ...record, configVersion: update.value.message.configVersion }), null, 2) + '\n');
}
