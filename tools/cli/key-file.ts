// Key files: JSON {"secretKey": hex, "publicKey": hex, "kid": hex}, mode 0600.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { bytesToHex, equalBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import { type KeyPair, keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { CliError } from './cli-error.ts';

export function readKeyFile(path: string): KeyPair {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path}: not a key file (invalid JSON)`);
  }
  const field = (name: string, length: number): Uint8Array => {
    const value = (json as Record<string, unknown> | null)?.[name];
    try {
      const bytes = hexToBytes(value as string);
      if (bytes.length === length) return bytes;
    } catch { /* reported below */ }
    throw new CliError(`${path}: "${name}" must be ${length} bytes of hex`);
  };
  const pair = keyPairFromSecret(field('secretKey', 32));
  if (!equalBytes(pair.publicKey, field('publicKey', 32))) throw new CliError(`${path}: publicKey does not belong to secretKey`);
  if (!equalBytes(pair.kid, field('kid', 8))) throw new CliError(`${path}: kid does not match publicKey`);
  return pair;
}

export function writeKeyFile(path: string, pair: KeyPair, overwrite: boolean): void {
  const text = JSON.stringify({ secretKey: bytesToHex(pair.secretKey), publicKey: bytesToHex(pair.publicKey), kid: bytesToHex(pair.kid) }, null, 2) + '\n';
  try {
    writeFileSync(path, text, { mode: 0o600, flag: overwrite ? 'w' : 'wx' });
    chmodSync(path, 0o600); // an overwritten file keeps its old mode otherwise
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${path} exists; pass --force to overwrite it`);
    throw new CliError(`cannot write ${path}: ${code ?? String(error)}`);
  }
}
