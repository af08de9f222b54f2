// Key files: JSON {"secretKey": hex, "publicKey": hex, "kid": hex}, mode 0600 — what `tapcharge
// keygen` writes, what the relay keeps in its data folder, what a simulated pile keeps. One reader:
// the secret must give the public key, and the public key the kid.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { bytesToHex, equalBytes, hexToBytes } from '../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../contracts-offline/crypto.ts';
import { type KeyPair, keyPairFromSecret } from '../contracts-offline/keys.ts';

/** A key file that cannot be read or written, or does not hold a consistent key pair. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** A key file is a few hundred bytes; anything much larger is not one. */
const KEY_FILE_MAX_BYTES = 4096;

export function readKeyFile(path: string, crypto?: Ed25519Provider): KeyPair {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > KEY_FILE_MAX_BYTES) throw new KeyFileError(`${path}: not a key file (${bytes.length} bytes)`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    throw new KeyFileError(`cannot read key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyFileError(`${path}: not a key file (invalid JSON)`);
  }
  const field = (name: string, length: number): Uint8Array => {
    const value = (json as Record<string, unknown> | null)?.[name];
    try {
      const bytes = hexToBytes(value as string);
      if (bytes.length === length) return bytes;
    } catch { /* reported below */ }
    throw new KeyFileError(`${path}: "${name}" must be ${length} bytes of hex`);
  };
  const pair = keyPairFromSecret(field('secretKey', 32), crypto);
  if (!equalBytes(pair.publicKey, field('publicKey', 32))) throw new KeyFileError(`${path}: publicKey does not belong to secretKey`);
  if (!equalBytes(pair.kid, field('kid', 8))) throw new KeyFileError(`${path}: kid does not match publicKey`);
  return pair;
}

/** Writes mode 0600; refuses an existing file unless `overwrite`. */
export function writeKeyFile(path: string, pair: KeyPair, overwrite: boolean): void {
  const text = JSON.stringify({ secretKey: bytesToHex(pair.secretKey), publicKey: bytesToHex(pair.publicKey), kid: bytesToHex(pair.kid) }, null, 2) + '\n';
  try {
    writeFileSync(path, text, { mode: 0o600, flag: overwrite ? 'w' : 'wx' });
    chmodSync(path, 0o600); // an overwritten file keeps its old mode otherwise
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeyFileError(`${path} exists; pass --force to overwrite it`);
    throw new KeyFileError(`cannot write ${path}: ${code ?? String(error)}`);
  }
}
