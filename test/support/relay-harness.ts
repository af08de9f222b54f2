// Test helpers for the relay: a relay in a temp folder, an HTTP caller that signs like a phone,
// and a test pile that signs Contracts and Receipts with contracts-offline directly (a stand-in for
// the firmware: the same messages and billing sequence, the cost rule of firmware/billing).
import type { Hex } from 'viem';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { type EndReason, encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import { sessionCostMinor } from '../../contracts-offline/tariff-cost.ts';
import { contractIdOf } from '../../tools/ledger/ids.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { signRequest } from '../../tools/relay-api/request-signing.ts';
import { type RunningRelay, type StartRelayOptions, startRelay } from '../../tools/relay/start-relay.ts';

export type Reply = { status: number; json: any; text: string };

/** Business time of the relay under test: starts at the wall clock, moved by hand. */
export class TestClock {
  atMs = Date.now();
  nowMs(): number {
    return this.atMs;
  }
  advanceS(s: number): void {
    this.atMs += s * 1000;
  }
  get nowS(): number {
    return Math.floor(this.atMs / 1000);
  }
}

export type CallOptions = { body?: Record<string, unknown>; signer?: Pick<KeyPair, 'secretKey' | 'kid'>; atS?: number; nonce?: string };

/** Talks to a relay over HTTP like a phone or an operator tool would, signing its requests. */
export class RelayCaller {
  constructor(readonly url: string, readonly operator: KeyPair, readonly relayPublicKey: Uint8Array, readonly clock: TestClock) {}

  async raw(method: string, path: string, init: { body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Reply> {
    const response = await fetch(this.url + path, { method, ...(init.body !== undefined ? { body: init.body } : {}), headers: init.headers ?? {} });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  }

  async call(method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<Reply> {
    if (!options.signer) {
      return method === 'GET' ? this.raw('GET', path) : this.raw('POST', path, { body: JSON.stringify(options.body ?? {}), headers: { 'content-type': 'application/json' } });
    }
    const nonce = options.nonce;
    const signed = signRequest({
      signer: options.signer, method, path, fields: options.body ?? {}, nowMs: (options.atS ?? this.clock.nowS) * 1000, crypto: sodiumEd25519,
      ...(nonce && { random: () => hexToBytes(nonce) }),
    });
    if (method === 'GET') return this.raw('GET', signed.path, { headers: signed.headers });
    return this.raw('POST', path, { body: signed.body!, headers: { ...signed.headers, 'content-type': 'application/json' } });
  }

  async newUser(displayName = 'driver'): Promise<KeyPair & { kidHex: string }> {
    const key = generateKeyPair({ crypto: sodiumEd25519 });
    const r = await this.call('POST', '/v1/users', { body: { publicKey: bytesToHex(key.publicKey), displayName }, signer: key });
    if (r.status !== 201) throw new Error(`register user: ${r.status} ${r.text}`);
    return { ...key, kidHex: bytesToHex(key.kid) };
  }

  async topUp(userKid: string, amountMinor: number): Promise<Reply> {
    return this.call('POST', '/v1/issue', { body: { userKid, amountMinor, idempotencyKey: bytesToHex(crypto.getRandomValues(new Uint8Array(16))) }, signer: this.operator });
  }

  async newPile(tariff = { energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 }, maxPowerW = 11_000): Promise<TestPile> {
    const pile = new TestPile({ version: 1, ...tariff }, maxPowerW, this.relayPublicKey);
    const r = await this.call('POST', '/v1/piles', {
      body: { pileId: bytesToHex(pile.pileId), publicKey: bytesToHex(pile.key.publicKey), operator: 'test operator', label: 'Bay 1', maxPowerW, tariff },
      signer: this.operator,
    });
    if (r.status !== 201) throw new Error(`register pile: ${r.status} ${r.text}`);
    return pile;
  }

  async voucher(user: KeyPair, pile: TestPile, limit: ChargeLimit, pileNonce = pile.nonce()): Promise<Reply> {
    return this.call('POST', '/v1/vouchers', { body: { pileId: bytesToHex(pile.pileId), pileNonce: bytesToHex(pileNonce), limit }, signer: user });
  }

  /** The Authorization a voucher answer carries, its relay signature checked. */
  authorization(reply: Reply): Authorization {
    const opened = openSigned(base64urlToBytes(reply.json.authorization), { publicKey: this.relayPublicKey, expectType: 'Authorization', crypto: sodiumEd25519 });
    if (!opened.ok) throw new Error(`voucher answer: ${opened.reason} (${reply.text})`);
    return opened.value.message;
  }

  async upload(...records: Uint8Array[]): Promise<Reply> {
    return this.call('POST', '/v1/records', { body: { records: records.map(bytesToBase64url) } });
  }

}

/** A relay started in this process (startRelay) on a temp data folder. */
export class TestRelay extends RelayCaller {
  constructor(readonly relay: RunningRelay, clock: TestClock, readonly dir: string) {
    super(relay.url, relay.operatorKey, relay.relayKey.publicKey, clock);
  }

  async close(): Promise<void> {
    await this.relay.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startTestRelay(options: Partial<StartRelayOptions> = {}): Promise<TestRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-'));
  const clock = new TestClock();
  try {
    return new TestRelay(await startRelay({ dataDir: dir, port: 0, clock, log: () => undefined, ...options }), clock, dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

let pileCounter = 0;

/** A stand-in pile signing the billing records the firmware signs; billing sequence 1, 2, 3… */
export class TestPile {
  readonly key = generateKeyPair({ crypto: sodiumEd25519 });
  readonly pileId: Uint8Array;
  seq = 0;
  meterWh = 1_000_000;
  readonly contracts = new Map<number, { limit: ChargeLimit; capMinor: number }>();

  constructor(public tariff: Tariff, readonly maxPowerW: number, readonly relayPublicKey: Uint8Array) {
    const id = new Uint8Array(8);
    id[0] = 0x50;
    new DataView(id.buffer).setUint32(4, ++pileCounter + Math.floor(Math.random() * 0xffffff) * 256);
    this.pileId = id;
  }

  get pileIdHex(): string {
    return bytesToHex(this.pileId);
  }

  /** The ledger's id of this pile's contract `seq`. */
  contractId(seq: number): Hex {
    return contractIdOf(this.pileId, BigInt(seq));
  }

  nonce(): Uint8Array {
    return crypto.getRandomValues(new Uint8Array(16));
  }

  #sign(bytes: Uint8Array): Uint8Array {
    return signMessage(bytes, this.key.secretKey, { kid: this.key.kid, crypto: sodiumEd25519 });
  }

  /** Tap 2: the pile checks the relay's voucher and signs a contract under the next sequence. */
  contract(authorizationB64: string, atS: number): { seq: number; signed: Uint8Array; voucher: Authorization } {
    const opened = openSigned(base64urlToBytes(authorizationB64), { publicKey: this.relayPublicKey, expectType: 'Authorization', crypto: sodiumEd25519 });
    if (!opened.ok) throw new Error(`test pile: voucher refused: ${opened.reason}`);
    const v = opened.value.message;
    const seq = ++this.seq;
    this.contracts.set(seq, { limit: v.limit, capMinor: v.capMinor });
    const signed = this.#sign(encodeContract({
      pileId: this.pileId, seq, userKid: v.userKid, voucherId: v.voucherId, limit: v.limit, tariff: this.tariff,
      startMeterWh: this.meterWh, capMinor: v.capMinor, startAtS: atS,
    }));
    return { seq, signed, voucher: v };
  }

  /** The receipt of contract `contractSeq`, amount by the cost rule (capped) unless `amountMinor` is forced. */
  receipt(contractSeq: number, m: { energyWh: number; durationS: number; endAtS: number; endReason?: EndReason; amountMinor?: number }): { seq: number; signed: Uint8Array; amountMinor: number } {
    const c = this.contracts.get(contractSeq);
    if (!c) throw new Error(`test pile: no contract ${contractSeq}`);
    const amountMinor = m.amountMinor ?? Math.min(sessionCostMinor(this.tariff, m.energyWh, m.durationS), c.capMinor);
    this.meterWh += m.energyWh;
    const seq = ++this.seq;
    const signed = this.#sign(encodeReceipt({
      pileId: this.pileId, contractSeq, seq, endReason: m.endReason ?? 'normal', endDetail: 1, energyWh: m.energyWh, durationS: m.durationS,
      amountMinor, endMeterWh: this.meterWh, endAtS: m.endAtS,
    }));
    return { seq, signed, amountMinor };
  }
}

/** After a case: every user's book balance and escrow equal the ledger's (read as the operator). */
export async function assertBooksMatchLedger(t: TestRelay, userKids: Iterable<string>): Promise<void> {
  await t.relay.drainLedger();
  for (const kid of userKids) {
    const u = (await t.call('GET', `/v1/users/${kid}`, { signer: t.operator })).json;
    assert.is(u.bookBalanceMinor, u.balanceMinor, `book balance of ${kid} equals the ledger`);
    assert.is(u.bookEscrowMinor, u.escrowMinor, `book escrow of ${kid} equals the ledger`);
  }
}
