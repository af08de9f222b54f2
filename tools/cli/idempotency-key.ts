// `--idempotency-key HEX` of the CLI's money moves (relay issue, phone transfer): the relay makes a
// move at most once per author and key (tools/relay/routes/money.ts). Without the option a fresh key
// is used; when the answer is lost, the one line printed names that key, so running the same
// command again with it cannot move the money twice.
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { RelayUnreachableError } from '../phone/errors.ts';
import { CliError } from './cli-error.ts';

export function idempotencyKeyOption(text: string | undefined, fresh: () => Uint8Array): Uint8Array {
  if (text === undefined) return fresh();
  if (!/^([0-9a-f]{2}){16,32}$/.test(text)) throw new CliError(`--idempotency-key expected 32..64 lowercase hex digits, got ${JSON.stringify(text)}`, 2);
  return hexToBytes(text);
}

/** Runs a money move; a lost answer becomes one line telling how to retry it safely. */
export async function moveOnce<T>(what: string, key: Uint8Array, move: () => Promise<T>): Promise<T> {
  try {
    return await move();
  } catch (error) {
    if (!(error instanceof RelayUnreachableError)) throw error;
    throw new CliError(`${error.message}; the ${what} may or may not have been made: run the same command with --idempotency-key ${bytesToHex(key)} to finish it without moving money twice`);
  }
}
