// The relay's two Ed25519 keys in its data folder, created on first start, in the key file format
// of `tapcharge keygen` (tools/key-file.ts):
//   relay-key.json     signs PileUpdate, Authorization and Ack (the piles' trust anchor)
//   operator-key.json  the first operator: signs operator requests (register piles, top-ups)
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import { readKeyFile, writeKeyFile } from '../key-file.ts';

function loadOrCreate(path: string, crypto: Ed25519Provider | undefined): KeyPair {
  if (!existsSync(path)) writeKeyFile(path, generateKeyPair(crypto ? { crypto } : {}), false);
  return readKeyFile(path, crypto);
}

export function loadRelayKeys(dataDir: string, crypto?: Ed25519Provider): { relayKey: KeyPair; operatorKey: KeyPair } {
  mkdirSync(dataDir, { recursive: true });
  return {
    relayKey: loadOrCreate(join(dataDir, 'relay-key.json'), crypto),
    operatorKey: loadOrCreate(join(dataDir, 'operator-key.json'), crypto),
  };
}
