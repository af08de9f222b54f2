// The options every service-console command shares (`tapcharge provision`, `tapcharge pile
// status|logs|selftest|clock|factory-reset --port`): the relay a changing command asks for its
// authorisation, the operator's key that asks, and the time the pile's clock is shown in.
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { readKeyFile } from '../key-file.ts';
import { sodiumEd25519 } from '../sodium-ed25519.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { CliError } from './cli-error.ts';

/** Where `tapcharge relay start` (default --data data) writes the operator's key. */
export const DEFAULT_OPERATOR_KEY_FILE = 'data/operator-key.json';

/** The relay client for --relay URL (a usage mistake when it is not one). */
export function relayAt(url: string | undefined): RelayClient {
  if (!url) throw new CliError('--relay URL is required (the relay the pile trusts, e.g. http://127.0.0.1:8787)', 2);
  try {
    return new RelayClient({ baseUrl: url, crypto: sodiumEd25519 });
  } catch {
    throw new CliError(`--relay expected http(s)://HOST:PORT, got "${url}"`, 2);
  }
}

export function operatorKeyAt(path: string | undefined): KeyPair {
  return readKeyFile(path ?? DEFAULT_OPERATOR_KEY_FILE, sodiumEd25519);
}

export function portOption(port: string | undefined): string {
  if (!port) throw new CliError('--port PORT is required (the pile\'s serial port: see tapcharge ports)', 2);
  return port;
}

/** UTC seconds as ISO 8601 (2026-11-30T07:40:00Z). */
export function isoTimeS(atS: number): string {
  return new Date(atS * 1000).toISOString().replace('.000Z', 'Z');
}
