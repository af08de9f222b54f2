// Why a relay data folder cannot be audited at all (as opposed to an audit that fails): one line
// each, for the CLI to print as it is.
import { CodedError } from '../../coded-error.ts';

export type RelayAuditErrorCode =
  | 'no-relay-data' // the folder lacks relay.sqlite, the relay's key files or the embedded ledger
  | 'unreadable-database' // relay.sqlite is damaged or not a SQLite database
  | 'unknown-schema'; // a database, but not one of the relay's schema as this audit knows it

export class RelayAuditError extends CodedError<RelayAuditErrorCode> {}
