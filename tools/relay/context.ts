// What every route and the ingestion path share: storage, keys, ledger, clock, policy, outbox.
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { CommitGroup } from './ingest/commit-group.ts';
import type { SeqRange } from '../../contracts-offline/messages/ack.ts';
import type { RecordResult, VerifiedRecord } from './ingest/verify-record.ts';
import type { VerifyPool } from './ingest/verify-pool.ts';
import type { LedgerOutboxWorker } from './ledger-outbox/worker.ts';
import type { RelayPolicy } from './policy.ts';
import type { Db } from './storage/db.ts';

/** One upload's answers, and the ranges held at commit for each pile it named. */
export type StoredUpload = { results: RecordResult[]; held: ReadonlyMap<string, SeqRange[]> };

export type RelayContext = {
  db: Db;
  ledger: Ledger;
  ledgerKind: 'embedded' | 'rpc';
  crypto: Ed25519Provider;
  /** Signs PileUpdate, Authorization, Ack and ServiceAuthorization; its public key is every pile's trust anchor. */
  relayKey: KeyPair;
  policy: RelayPolicy;
  outbox: LedgerOutboxWorker;
  /** Reads and verifies uploaded records on worker threads. */
  verifyPool: VerifyPool;
  /** Stores verified uploads, several per transaction (ingest/store-records.ts storeUploads). */
  recordStore: CommitGroup<VerifiedRecord[], StoredUpload>;
  nowMs(): number;
  nowS(): number;
  log(line: string): void;
  /** Wall-clock ms when the relay started (uptime in GET /v1/health). */
  startedAtMs: number;
};
