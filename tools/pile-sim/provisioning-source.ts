// Where a simulated pile's provisioning record comes from: the relay (register the pile with an
// operator key: POST /v1/piles answers the record to write) or a file holding that same answer
// as JSON {pileId, relayPublicKey, configVersion, pileUpdate}, checked with the API's schema of it.
import { readFileSync, writeFileSync } from 'node:fs';
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import { readSigned } from '../../contracts-offline/signed.ts';
import type { ProvisioningRecord } from '../../firmware/provisioning/provision-pile.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { checkJson } from '../relay-api/explain.ts';
import { relayApi } from '../relay-api/routes.ts';
import { PileSimError } from './errors.ts';

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

export async function provisioningFromRelay(request: PileRegistrationRequest): Promise<ProvisioningRecord> {
  const relay = new RelayClient({ baseUrl: request.relayUrl });
  const answer = await relay.registerPile(request.operatorKey, {
    pileId: request.pileId, publicKey: request.pileKey.publicKey, operator: request.operator, label: request.label, maxPowerW: request.maxPowerW, tariff: request.tariff,
  });
  if (answer.pileId !== bytesToHex(request.pileId)) throw new PileSimError('provisioning', `the relay registered pile ${answer.pileId}, not ${bytesToHex(request.pileId)}`);
  return { pileId: request.pileId, relayPublicKey: answer.relayPublicKey, pilePublicKey: request.pileKey.publicKey, pileUpdate: answer.pileUpdate };
}

export function readProvisioningFile(path: string, pileKey: KeyPair): ProvisioningRecord {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PileSimError('provisioning', `cannot read provisioning file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'invalid JSON'}`);
  }
  const answer = checkJson(relayApi.registerPile.answers[201], json, 'file');
  if (!answer.ok) throw new PileSimError('provisioning', `${path}: ${answer.reason}`);
  const { pileId, relayPublicKey, pileUpdate } = answer.value;
  return { pileId: hexToBytes(pileId), relayPublicKey: hexToBytes(relayPublicKey), pilePublicKey: pileKey.publicKey, pileUpdate: base64urlToBytes(pileUpdate) };
}

export function writeProvisioningFile(path: string, record: ProvisioningRecord): void {
  const update = readSigned(record.pileUpdate, 'PileUpdate');
  if (!update.ok) throw new TypeError(`provisioning-source: "pileUpdate" is not a signed PileUpdate (${update.reason})`);
  const json = { pileId: bytesToHex(record.pileId), relayPublicKey: bytesToHex(record.relayPublicKey), configVersion: update.value.message.configVersion, pileUpdate: bytesToBase64url(record.pileUpdate) };
  writeFileSync(path, JSON.stringify(json, null, 2) + '\n');
}
