// Runs inside xsnap (bundled by bench/contracts-offline.bench.ts): XS metering units of the
// pile's signature work. Input globals: BENCH_SECRET_KEY_HEX, BENCH_CONTRACT_JSON (the Contract
// fixture's JSON form). Output: one line `BENCH-XS {"op": [units of each run], ...}`.
// Each operation runs once to warm up, then `runs` times; metering is deterministic, so the runs
// should agree (the bench reports the median and whether they did).
import { hexToBytes } from '../contracts-offline/bytes.ts';
import { sigStructure, parseSign1 } from '../contracts-offline/cose-sign1.ts';
import { nobleEd25519 } from '../contracts-offline/crypto.ts';
import { keyPairFromSecret } from '../contracts-offline/keys.ts';
import { ContractCodec } from '../contracts-offline/messages/contract.ts';
import { openSigned, signMessage } from '../contracts-offline/signed.ts';
import { meteredRuns } from './xs-meter.ts';

declare function print(...values: unknown[]): void;
declare const BENCH_SECRET_KEY_HEX: string;
declare const BENCH_CONTRACT_JSON: string;

const runs = 5;
const key = keyPairFromSecret(hexToBytes(BENCH_SECRET_KEY_HEX));
const contract = ContractCodec.fromJson(JSON.parse(BENCH_CONTRACT_JSON));
const signedContract = signMessage(ContractCodec.encode(contract), key.secretKey, { kid: key.kid });
const parsed = parseSign1(signedContract);
if (!parsed.ok) throw new Error(`bench: own signed Contract does not parse: ${parsed.reason}`);
// The exact bytes Ed25519 signs for this Contract (its COSE Sig_structure).
const toBeSigned = sigStructure(parsed.value.protectedBytes, new Uint8Array(0), parsed.value.payload);
const signature = parsed.value.signature;

const metered = (work: () => unknown): number[] => meteredRuns(work, runs);

const results = {
  sign: metered(() => nobleEd25519.sign(toBeSigned, key.secretKey)),
  verify: metered(() => {
    if (!nobleEd25519.verify(signature, toBeSigned, key.publicKey)) throw new Error('bench: verify failed');
  }),
  encodeAndSignContract: metered(() => signMessage(ContractCodec.encode(contract), key.secretKey, { kid: key.kid })),
  openSignedContract: metered(() => {
    if (!openSigned(signedContract, { publicKey: key.publicKey, expectType: 'Contract' }).ok) throw new Error('bench: openSigned failed');
  }),
  sigStructureBytes: [toBeSigned.length],
};
print(`BENCH-XS ${JSON.stringify(results)}`);
