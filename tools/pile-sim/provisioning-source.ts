// Where a simulated pile's provisioning record comes from: the relay (register the pile with an
// operator key: POST /v1/piles answers the record to write) or a file holding that same answer
// as JSON {pileId, relayPublicKey, pileUpdate} (hex, hex, base64url).
import { readFileSync, writeFileSync } from 'node:fs';
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ProvisioningRecord } from '../../firmware/records/provisioning-record.ts';
import { RelayClient } from '../phone/relay-client.ts';

export class ProvisioningSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisioningSourceError';
  }
}

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
  if (answer.pileId !== bytesToHex(request.pileId)) throw new ProvisioningSourceError(`the relay registered pile ${answer.pileId}, not ${bytesToHex(request.pileId)}`);
  return { pileId: request.pileId, relayPublicKey: answer.relayPublicKey, pilePublicKey: request.pileKey.publicKey, pileUpdate: answer.pileUpdate };
}

export function readProvisioningFile(path: string, pileKey: KeyPair): ProvisioningRecord {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ProvisioningSourceError(`cannot read provisioning file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'invalid JSON'}`);
  }
  const field = (name: string, decode: (text: string) => Uint8Array, length?: number): Uint8Array => {
    const value = json?.[name];
    try {
      const bytes = decode(value as string);
      if (length === undefined || bytes.length === length) return bytes;
    } catch { /* reported below */ }
    throw new ProvisioningSourceError(`${path}: "${name}" expected ${length ? `${length} bytes of hex` : 'base64url'}`);
  };
  return { pileId: field('pileId', hexToBytes, 8), relayPublicKey: field('relayPublicKey', hexToBytes, 32), pilePublicKey: pileKey.publicKey, pileUpdate: field('pileUpdate', base64urlToBytes) };
}

export function writeProvisioningFile(path: string, record: ProvisioningRecord): void {
  const json = { pileId: bytesToHex(record.pileId), relayPublicKey: bytesToHex(record.relayPublicKey), pileUpdate: bytesToBase64url(record.pileUpdate) };
  writeFileSync(path, JSON.stringify(json, null, 2) + '\n');
}
