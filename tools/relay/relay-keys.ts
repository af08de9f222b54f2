// The relay's two Ed25519 keys in its data folder, created on first start (mode 0600), in the key
// file format of `tapcharge keygen` ({secretKey, publicKey, kid} as hex):
//   relay-key.json     signs PileUpdate, Authorization and Ack (the piles' trust anchor)
//   operator-key.json  the first operator: signs operator requests (register piles, top-ups)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, equalBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { type KeyPair, generateKeyPair, keyPairFromSecret } from '../../contracts-offline/keys.ts';

export class RelayKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelayKeyError';
  }
}

export function readRelayKeyFile(path: string, crypto?: Ed25519Provider): KeyPair {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new RelayKeyError(`${path}: cannot read key file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const field = (name: string, length: number): Uint8Array => {
    try {
      const bytes = hexToBytes(json[name] as string);
      if (bytes.length === length) return bytes;
    } catch { /* reported below */ }
    throw new RelayKeyError(`${path}: "${name}" must be ${length} bytes of hex`);
  };
  const pair = keyPairFromSecret(field('secretKey', 32), crypto);
  if (!equalBytes(pair.publicKey, field('publicKey', 32))) throw new RelayKeyError(`${path}: publicKey does not belong to secretKey`);
  return pair;
}

function loadOrCreate(path: string, crypto: Ed25519Provider | undefined): KeyPair {
  if (!existsSync(path)) {
    const pair = generateKeyPair(crypto ? { crypto } : {});
    const text = JSON.stringify({ secretKey: bytesToHex(pair.secretKey), publicKey: bytesToHex(pair.publicKey), kid: bytesToHex(pair.kid) }, null, 2) + '\n';
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  }
  return readRelayKeyFile(path, crypto);
}

export function loadRelayKeys(dataDir: string, crypto?: Ed25519Provider): { relayKey: KeyPair; operatorKey: KeyPair } {
  mkdirSync(dataDir, { recursive: true });
  return {
    relayKey: loadOrCreate(join(dataDir, 'relay-key.json'), crypto),
    operatorKey: loadOrCreate(join(dataDir, 'operator-key.json'), crypto),
  };
}
