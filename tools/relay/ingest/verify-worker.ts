// One thread of verify-pool.ts: reads uploaded billing records and verifies their pile signatures
// (verify-record.ts, libsodium) off the relay's event loop. The worker keeps the pile keys it
// was sent (a pile's registered key never changes); a record of a pile whose key it has not been
// sent yet is answered `keyNeeded`, and the relay sends the record again with the key, or with the
// pile named unregistered (then it is refused `unknown-pile`, as in-process).
import { parentPort } from 'node:worker_threads';
import { sodiumEd25519 } from '../../sodium-ed25519.ts';
import { keyId } from '../../../contracts-offline/keys.ts';
import { type PileKey, type RecordRefusal, type VerifiedRecord, parseRecord, verifyRecord } from './verify-record.ts';

export type VerifyJob = {
  records: Uint8Array[];
  /** Registered pile keys (pile id hex → 32-byte public key) to keep. */
  keys: [string, Uint8Array][];
  /** Pile ids the relay looked up and found unregistered. */
  unregistered: string[];
};
export type VerifyOutcome = { ok: true; value: VerifiedRecord } | RecordRefusal | { ok: false; keyNeeded: string };
export type VerifyRequest = VerifyJob & { id: number };
export type VerifyAnswer = { id: number; outcomes: VerifyOutcome[] };

// 40 bytes a key and its id: a million piles is 40 MB, then the cache starts again.
const KEYS_LIMIT = 1_000_000;
const pileKeys = new Map<string, PileKey>();

function check(signed: Uint8Array, unregistered: ReadonlySet<string>): VerifyOutcome {
  const parsed = parseRecord(signed);
  if (!parsed.ok) return parsed;
  const key = pileKeys.get(parsed.value.pileId);
  if (!key && !unregistered.has(parsed.value.pileId)) return { ok: false, keyNeeded: parsed.value.pileId };
  return verifyRecord(parsed.value, key, sodiumEd25519);
}

parentPort?.on('message', (request: VerifyRequest) => {
  if (pileKeys.size + request.keys.length > KEYS_LIMIT) pileKeys.clear();
  for (const [pileId, publicKey] of request.keys) pileKeys.set(pileId, { publicKey, kid: keyId(publicKey) });
  const unregistered = new Set(request.unregistered);
  const answer: VerifyAnswer = { id: request.id, outcomes: request.records.map((signed) => check(signed, unregistered)) };
  parentPort!.postMessage(answer);
});
