// The embedded ledger's persistent history index, DATA/ledger/history.sqlite: every log of the
// ledger contract (block, log index, tx hash, topics, data) and the accounts each names
// (history-accounts.ts), the transaction (to, input) of each Batch log — its batch is there, not
// in the log (batch-log.ts) — and the last block indexed. Written after each mined transaction and
// caught up at start, it outlives the chain: a chain started from a snapshot has no blocks
// before it, the index still has their logs and transactions.
// An index written before Batch logs left their batch out has no batch_transactions rows; it
// needs none: its folder runs the contract of that time, whose Batch logs this ABI does not read.
import Database from 'better-sqlite3';
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import type { LogTransaction } from './batch-log.ts';
import { LedgerError } from './errors.ts';
import type { HistoryLog, LedgerLogs } from './history-accounts.ts';

type LogRow = {
  block_number: bigint; log_index: bigint; tx_hash: Uint8Array; topics: Uint8Array; data: Uint8Array;
  to_address: Uint8Array | null; input: Uint8Array | null;
};

const schema = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS logs (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash BLOB NOT NULL, topics BLOB NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (block_number, log_index)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS log_accounts (
    account BLOB NOT NULL, block_number INTEGER NOT NULL, log_index INTEGER NOT NULL,
    PRIMARY KEY (account, block_number, log_index)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS batch_transactions (
    tx_hash BLOB PRIMARY KEY, to_address BLOB, input BLOB NOT NULL) WITHOUT ROWID;`;

function splitTopics(bytes: Uint8Array): [Hex, ...Hex[]] | [] {
  const topics: Hex[] = [];
  for (let at = 0; at < bytes.length; at += 32) topics.push(bytesToHex(bytes.subarray(at, at + 32)));
  return topics as [Hex, ...Hex[]];
}

export class HistoryIndex {
  readonly #db: Database.Database;
  readonly #contract: Address;

  private constructor(db: Database.Database, contract: Address) {
    this.#db = db;
    this.#contract = contract;
  }

  /** Opens (creating) the index of `contract`'s logs; an index of another contract is refused. */
  static open(path: string, contract: Address): HistoryIndex {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(schema);
      db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('contract', ?), ('indexed_through_block', '0')`).run(contract.toLowerCase());
      const stored = (db.prepare(`SELECT value FROM meta WHERE key = 'contract'`).get() as { value: string }).value;
      if (stored !== contract.toLowerCase()) throw new LedgerError('bad-config', `${path} indexes contract ${stored}, not ${contract}`);
      db.defaultSafeIntegers(true);
      return new HistoryIndex(db, contract);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Every block up to this one has its logs in the index (0: none yet). */
  get indexedThroughBlock(): bigint {
    return BigInt((this.#db.prepare(`SELECT value FROM meta WHERE key = 'indexed_through_block'`).get() as { value: string }).value);
  }

  /** Adds the logs of the blocks after `indexedThroughBlock` up to `throughBlock` (with a Batch log's transaction), in one transaction. */
  add(logs: readonly { log: HistoryLog; accounts: Address[]; transaction?: LogTransaction }[], throughBlock: bigint): void {
    const insertLog = this.#db.prepare('INSERT INTO logs (block_number, log_index, tx_hash, topics, data) VALUES (?, ?, ?, ?, ?)');
    const insertAccount = this.#db.prepare('INSERT OR IGNORE INTO log_accounts (account, block_number, log_index) VALUES (?, ?, ?)');
    const insertTransaction = this.#db.prepare('INSERT OR IGNORE INTO batch_transactions (tx_hash, to_address, input) VALUES (?, ?, ?)');
    this.#db.transaction(() => {
      for (const { log, accounts, transaction } of logs) {
        if (log.address.toLowerCase() !== this.#contract.toLowerCase()) continue;
        const topics = new Uint8Array(32 * log.topics.length);
        log.topics.forEach((t, i) => topics.set(hexToBytes(t), 32 * i));
        insertLog.run(log.blockNumber, log.logIndex, hexToBytes(log.transactionHash!), topics, hexToBytes(log.data));
        for (const account of accounts) insertAccount.run(hexToBytes(account), log.blockNumber, log.logIndex);
        if (transaction) insertTransaction.run(hexToBytes(log.transactionHash!), transaction.to && hexToBytes(transaction.to), hexToBytes(transaction.input));
      }
      this.#db.prepare(`UPDATE meta SET value = ? WHERE key = 'indexed_through_block'`).run(throughBlock.toString());
    })();
  }

  /** The indexed logs, oldest first, with the Batch logs' transactions; with `account`, only the logs naming it. */
  logs(account?: Address): LedgerLogs {
    const columns = 'l.*, t.to_address, t.input';
    const rows = (account
      ? this.#db.prepare(`SELECT ${columns} FROM log_accounts a JOIN logs l USING (block_number, log_index) LEFT JOIN batch_transactions t USING (tx_hash) WHERE a.account = ? ORDER BY a.block_number, a.log_index`).all(hexToBytes(account))
      : this.#db.prepare(`SELECT ${columns} FROM logs l LEFT JOIN batch_transactions t USING (tx_hash) ORDER BY l.block_number, l.log_index`).all()) as LogRow[];
    const transactions = new Map<string, LogTransaction>();
    for (const r of rows) {
      if (r.input) transactions.set(bytesToHex(r.tx_hash), { to: r.to_address && bytesToHex(r.to_address), input: bytesToHex(r.input) });
    }
    const logs = rows.map((r): HistoryLog => ({
      address: this.#contract,
      blockHash: null,
      blockNumber: r.block_number,
      data: bytesToHex(r.data),
      logIndex: Number(r.log_index),
      topics: splitTopics(r.topics),
      transactionHash: bytesToHex(r.tx_hash),
      transactionIndex: null,
      removed: false,
    }));
    return { logs, transactions };
  }

  close(): void {
    this.#db.close();
  }
}
