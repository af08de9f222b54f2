// Every way the ledger package fails, with a code the caller acts on: the relay's outbox marks a
// 'reverted' write rejected (retrying cannot help) and retries the others; the CLI prints the
// message as one line.
import { CodedError } from '../coded-error.ts';

export type LedgerErrorCode =
  | 'bad-input' // untrusted text that is not a contract id, address, amount or ref
  | 'bad-config' // a key, RPC URL or data folder that cannot be used
  | 'not-deployed' // no ledger contract where one is expected
  | 'in-use' // another process holds the embedded ledger's data folder
  | 'journal-corrupt' // the embedded ledger's transaction journal does not read back
  | 'reverted' // the chain refused the write (a revert): final
  | 'not-permitted' // the chain refused the write for the caller's role or a pause: may pass later
  | 'not-mined' // sent, but no receipt after every attempt (or the node did not answer)
  | 'bad-history'; // a Batch log whose transaction does not carry the batch it commits to (batch-log.ts)

export class LedgerError extends CodedError<LedgerErrorCode> {}

/** A JSON-RPC error of the embedded chain's EIP-1193 provider (its numeric code is the protocol's). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}
