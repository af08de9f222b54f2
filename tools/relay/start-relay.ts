// startRelay: the verifier relay, assembled — keys and database in the data folder (or PostgreSQL),
// the ledger (embedded EDR in the data folder unless one is given), the outbox worker, and the
// HTTP(S) server (on 127.0.0.1 unless told otherwise) with the OCPP 1.6J central system on the same
// port (ws(s)://…/ocpp/<pileId>). Used by `tapcharge relay start`, tests, the phone SDK and `npm start`.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { openEmbeddedLedger } from '../ledger/embedded.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { sodiumEd25519 } from '../sodium-ed25519.ts';
import { pruneNonces } from './auth.ts';
import { chargeOverdueContracts } from './billing/overdue.ts';
import type { RelayContext } from './context.ts';
import { DEFAULT_RELAY_PORT, RELAY_HOST } from './defaults.ts';
import { type RelayServerOptions, createRelayServer } from './http/server.ts';
import { CommitGroup } from './ingest/commit-group.ts';
import { storeUploads } from './ingest/store-records.ts';
import type { VerifiedRecord } from './ingest/verify-record.ts';
import { VerifyPool } from './ingest/verify-pool.ts';
import { LedgerOutboxWorker, type OutboxStats } from './ledger-outbox/worker.ts';
import { channelHandlers } from './channels/handlers.ts';
import { attachCentralSystem } from './ocpp/central-system.ts';
import { OCPP_PATH_PREFIX } from './ocpp/handshake.ts';
import { uplinkHandlers } from './ocpp/operator-uplinks.ts';
import { type OcppSettings, ocppSettingsWith } from './ocpp/settings.ts';
import { UplinkRegistry } from './ocpp/uplinks.ts';
import { type PolicyOverrides, policyWith } from './policy.ts';
import { loadRelayKeys } from './relay-keys.ts';
import { dashboardHandlers } from './routes/dashboard-handlers.ts';
import { healthHandlers } from './routes/health.ts';
import { moneyHandlers } from './routes/money.ts';
import { operatorHandlers } from './routes/operator/handlers.ts';
import { pileHandlers } from './routes/piles.ts';
import { recordHandlers } from './routes/records.ts';
import { relayHandlers } from './routes/relay.ts';
import { serviceAuthorizationHandlers } from './routes/service-authorizations.ts';
import { userHandlers } from './routes/users.ts';
import { voucherHandlers } from './routes/vouchers.ts';
import { openRelayDb } from './storage/open-db.ts';

const NONCE_PRUNE_MS = 60_000;
const INGEST_GROUPS_POSTGRES = 4;

export type StartRelayOptions = {
  dataDir: string;
  /** TCP port; 0 = any free port. Default 8787. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Serve HTTPS with this certificate chain and key (PEM); plain HTTP when absent. */
  tls?: RelayServerOptions['tls'];
  /** One JSON line per request (pino); none when absent. */
  requestLog?: RelayServerOptions['requestLog'];
  /** PostgreSQL connection URL; SQLite in dataDir/relay.sqlite when absent. */
  databaseUrl?: string;
  /** The ledger to settle on; default: the embedded ledger in dataDir (deployed on first start). Closed by close() only when the relay opened it. */
  ledger?: Ledger;
  /** Business time (atS checks, voucher expiry, overdue receipts); default the system clock. */
  clock?: { nowMs(): number };
  policy?: PolicyOverrides;
  /** OCPP timings (tools/relay/ocpp/settings.ts); defaults when absent. */
  ocpp?: Partial<OcppSettings>;
  log?: (line: string) => void;
};

export type RunningRelay = {
  url: string;
  /** The OCPP endpoint: a pile connects to this followed by its id (hex). */
  ocppUrl: string;
  port: number;
  /** Hex of the relay's Ed25519 public key: the trust anchor provisioned into every pile. */
  relayPublicKey: string;
  relayKid: string;
  relayKey: KeyPair;
  /** The generated first operator (DATA/operator-key.json): signs operator requests. */
  operatorKey: KeyPair;
  ledger: Ledger;
  /** The piles connected over OCPP and proven: what they report (watch), DataTransfer to them. */
  uplinks: UplinkRegistry;
  storage: 'sqlite' | 'postgres';
  /** Resolves once every queued ledger write has been sent (tests, scripted runs). */
  drainLedger(timeoutMs?: number): Promise<void>;
  outboxStats(): Promise<OutboxStats>;
  close(): Promise<void>;
};

/** Throws (OpenSSL's one-line reason) when this certificate and key cannot serve: checked before the data folder is touched. */
export function checkTls(tls: NonNullable<RelayServerOptions['tls']>): void {
  createSecureContext({ cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) });
}

export async function startRelay(options: StartRelayOptions): Promise<RunningRelay> {
  const port = options.port ?? DEFAULT_RELAY_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`relay: "port" expected 0..65535, got ${port}`);
  const host = options.host ?? RELAY_HOST;
  const policy = policyWith(options.policy);
  const ocppSettings = ocppSettingsWith(options.ocpp);
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const crypto = sodiumEd25519;
  if (options.tls) checkTls(options.tls);
  const { relayKey, operatorKey } = loadRelayKeys(options.dataDir, crypto);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const job of cleanups.reverse()) await job().catch((error: unknown) => log(`relay: while closing: ${String(error)}`));
    cleanups.length = 0;
  };
  try {
    const { db } = await openRelayDb({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, nowMs: clock.nowMs() });
    cleanups.push(() => db.close());
    await db.run('INSERT INTO operators (kid, public_key, label, created_at_s) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
      bytesToHex(operatorKey.kid), bytesToHex(operatorKey.publicKey), `generated in ${resolve(options.dataDir)}`, Math.floor(clock.nowMs() / 1000),
    ]);
    let ledger = options.ledger;
    if (!ledger) {
      const embedded = await openEmbeddedLedger(options.dataDir, { deploy: true });
      cleanups.push(() => embedded.close());
      ledger = embedded;
    }
    // Both call back into ctx, which exists by the time they run (after outbox.start() below).
    const outbox = new LedgerOutboxWorker({
      db, ledger, owner: `${hostname()}:${resolve(options.dataDir)}`, batchWaitMs: policy.ledgerBatchWaitMs, log, onIdle: () => chargeOverdueContracts(ctx),
    });
    const verifyPool = new VerifyPool();
    cleanups.push(() => verifyPool.close());
    // PostgreSQL overlaps the round trips of several groups; SQLite has one writer.
    const recordStore = new CommitGroup((uploads: VerifiedRecord[][]) => storeUploads(ctx, uploads), { concurrency: db.dialect === 'postgres' ? INGEST_GROUPS_POSTGRES : 1 });
    const ctx: RelayContext = {
      db,
      ledger,
      ledgerKind: 'chain' in ledger ? 'embedded' : 'rpc',
      crypto,
      relayKey,
      policy,
      outbox,
      verifyPool,
      recordStore,
      nowMs: () => clock.nowMs(),
      nowS: () => Math.floor(clock.nowMs() / 1000),
      log,
      startedAtMs: Date.now(),
    };
    outbox.start();
    cleanups.push(() => outbox.stop());
    const pruner = setInterval(() => void pruneNonces(db, ctx.nowS()).catch(() => undefined), NONCE_PRUNE_MS);
    pruner.unref();
    cleanups.push(async () => clearInterval(pruner));
    const uplinks = new UplinkRegistry();
    const server = await createRelayServer(ctx, { ...relayHandlers, ...uplinkHandlers(uplinks), ...channelHandlers(uplinks), ...healthHandlers, ...userHandlers, ...pileHandlers, ...serviceAuthorizationHandlers, ...voucherHandlers, ...recordHandlers, ...moneyHandlers, ...operatorHandlers,
      ...dashboardHandlers({ relayPublicKey: relayKey.publicKey, operatorPublicKeys: [operatorKey.publicKey] }) }, {
      ...(options.tls && { tls: options.tls }), ...(options.requestLog && { requestLog: options.requestLog }),
    });
    cleanups.push(() => server.close());
    // Closed before the HTTP server: its upgraded connections would keep that from closing.
    const centralSystem = attachCentralSystem(server.server, {
      relay: ctx, log: server.log.child({ component: 'ocpp' }), settings: ocppSettings, uplinks,
    });
    cleanups.push(() => centralSystem.close());
    await server.listen({ port, host });
    const address = server.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    let closing: Promise<void> | undefined;
    const authority = `${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
    return {
      url: `${options.tls ? 'https' : 'http'}://${authority}`,
      ocppUrl: `${options.tls ? 'wss' : 'ws'}://${authority}${OCPP_PATH_PREFIX}`,
      port: boundPort,
      relayPublicKey: bytesToHex(relayKey.publicKey),
      relayKid: bytesToHex(relayKey.kid),
      relayKey,
      operatorKey,
      ledger,
      uplinks,
      storage: db.dialect,
      drainLedger: (timeoutMs) => outbox.drain(timeoutMs),
      outboxStats: () => outbox.stats(),
      close: () => (closing ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
