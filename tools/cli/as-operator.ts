// An errand against a running relay (`tapcharge relay register-pile|provisioning|issue|dashboard`,
// `tapcharge operator …`): an operator's signed with DATA/operator-key.json, or an open read; a
// refusal or no answer is one line.
import { join } from 'node:path';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { readKeyFile } from '../key-file.ts';
import { sodiumEd25519 } from '../sodium-ed25519.ts';
import { RelayError } from '../phone/errors.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { CliError } from './cli-error.ts';

export async function withRelay<T>(url: string, errand: (relay: RelayClient) => Promise<T>): Promise<T> {
  let relay: RelayClient;
  try {
    relay = new RelayClient({ baseUrl: url, crypto: sodiumEd25519 });
  } catch {
    throw new CliError(`--url expected http(s)://HOST:PORT, got "${url}"`, 2);
  }
  try {
    return await errand(relay);
  } catch (error) {
    if (error instanceof RelayError) throw new CliError(error.message);
    throw error;
  }
}

export async function asOperator<T>(where: { url: string; dataDir: string }, errand: (relay: RelayClient, operator: KeyPair) => Promise<T>): Promise<T> {
  const operator = readKeyFile(join(where.dataDir, 'operator-key.json'), sodiumEd25519);
  return withRelay(where.url, (relay) => errand(relay, operator));
}
