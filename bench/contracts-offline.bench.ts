// contracts-offline figures (issue 2, design §9): XS metering units of the pile's signature work,
// signed sizes of every message type, and Node verifications per second on one core with the
// noble and the libsodium (sodium-native) providers. Input: test/fixtures/*.json and test-key.json.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { hexToBytes } from '../contracts-offline/bytes.ts';
import { parseSign1, sigStructure } from '../contracts-offline/cose-sign1.ts';
import { type Ed25519Provider, nobleEd25519 } from '../contracts-offline/crypto.ts';
import { keyPairFromSecret } from '../contracts-offline/keys.ts';
import { type Contract, ContractCodec } from '../contracts-offline/messages/contract.ts';
import { U32_MAX } from '../contracts-offline/messages/fields.ts';
import { type Receipt, ReceiptCodec } from '../contracts-offline/messages/receipt.ts';
import { MESSAGE_NAMES, codecs } from '../contracts-offline/messages/registry.ts';
import type { MessageCodec } from '../contracts-offline/messages/schema.ts';
import { openSigned, signMessage } from '../contracts-offline/signed.ts';
import { fixtureFile } from '../test/support/fixtures.ts';
import { bundleForXs } from '../test/support/xs/bundle.ts';
import { runXsScript } from '../test/support/xs/xsnap.ts';
import { sodiumEd25519 } from '../tools/sodium-ed25519.ts';

const fixtures = new URL('../test/fixtures/', import.meta.url).pathname;
const secretKeyHex = (JSON.parse(readFileSync(`${fixtures}test-key.json`, 'utf8')) as { secretKey: string }).secretKey;
const key = keyPairFromSecret(hexToBytes(secretKeyHex));
const fixtureJson = (name: string): unknown => JSON.parse(readFileSync(`${fixtures}${fixtureFile(name)}.json`, 'utf8'));
const loopMs = 2_000;
// design §9's host-XS reference, for orientation.
const designUnits = { sign: 1_000_000, verify: 1_350_000 };

const rows: string[][] = [];
const row = (...cells: string[]): void => void rows.push(cells);
const units = (n: number): string => n.toLocaleString('en-US');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// --- XS metering units -------------------------------------------------------------------------
const xsScript = await bundleForXs(new URL('./contracts-offline-xs.ts', import.meta.url).pathname, {
  globals: { BENCH_SECRET_KEY_HEX: secretKeyHex, BENCH_CONTRACT_JSON: JSON.stringify(fixtureJson('Contract')) },
});
const xsRun = runXsScript(xsScript, { timeoutMs: 120_000 });
const xsLine = xsRun.stdout.split('\n').find((line) => line.startsWith('BENCH-XS '));
if (xsRun.status !== 0 || !xsLine) throw new Error(`bench: xsnap failed (exit ${xsRun.status})\n${xsRun.stdout}${xsRun.stderr}`);
const xs = JSON.parse(xsLine.slice('BENCH-XS '.length)) as Record<'sign' | 'verify' | 'encodeAndSignContract' | 'openSignedContract' | 'sigStructureBytes', number[]>;
const xsRow = (label: string, runs: number[], reference?: number): void => {
  const steady = runs.every((r) => r === runs[0]) ? `${runs.length} runs identical` : `runs ${runs.join(', ')}`;
  const vsDesign = reference ? `design §9 ≈ ${units(reference)} (${((median(runs) / reference - 1) * 100).toFixed(0)} %)` : '—';
  row(`XS units: ${label}`, units(median(runs)), vsDesign, steady);
};
const tbs = `${xs.sigStructureBytes[0]} B Contract Sig_structure`;
xsRow(`Ed25519 sign (noble, ${tbs})`, xs.sign, designUnits.sign);
xsRow(`Ed25519 verify (noble, ${tbs})`, xs.verify, designUnits.verify);
xsRow('encode + sign Contract (COSE_Sign1, kid known)', xs.encodeAndSignContract);
xsRow('openSigned Contract (verify + strict decode)', xs.openSignedContract);

// --- signed sizes ------------------------------------------------------------------------------
const sizeTargets: Record<string, number> = { Contract: 200, Receipt: 160 };
const sizeRow = (label: string, name: string, message: unknown): void => {
  const codec = codecs[name as keyof typeof codecs] as MessageCodec<unknown>;
  const payload = codec.encode(message);
  const signed = signMessage(payload, key.secretKey, { kid: key.kid });
  const target = sizeTargets[name];
  row(`signed size: ${label}`, `${signed.length} B (payload ${payload.length} B)`, target ? `≤ ${target} B` : '—', target ? (signed.length <= target ? 'pass' : 'MISS') : '—');
};
for (const name of MESSAGE_NAMES) sizeRow(`${name} (fixture)`, name, (codecs[name] as MessageCodec<unknown>).fromJson(fixtureJson(name)));
// Every field at its largest encoding: the bound the targets are really about.
const id = new Uint8Array(8).fill(0xff);
const worstContract: Contract = {
  pileId: id, seq: U32_MAX, userKid: id, voucherId: id, limit: { mode: 'amount', amountMinor: U32_MAX },
  tariff: { version: U32_MAX, energyMinorPerKwh: 10_000_000, timeMinorPerHour: 10_000_000, sessionFeeMinor: 10_000_000 },
  startMeterWh: Number.MAX_SAFE_INTEGER, capMinor: U32_MAX, startAtS: U32_MAX,
};
const worstReceipt: Receipt = {
  pileId: id, contractSeq: U32_MAX - 1, seq: U32_MAX, endReason: 'abnormal', endDetail: 255, energyWh: U32_MAX,
  durationS: U32_MAX, amountMinor: U32_MAX, endMeterWh: Number.MAX_SAFE_INTEGER, endAtS: U32_MAX,
};
sizeRow('Contract (worst case)', ContractCodec.name, worstContract);
sizeRow('Receipt (worst case)', ReceiptCodec.name, worstReceipt);

// --- Node verifications per second (one core: the loop runs on the main thread) ----------------
const signedContract = new Uint8Array(readFileSync(`${fixtures}contract.cose`));
const parsed = parseSign1(signedContract);
if (!parsed.ok) throw new Error(`bench: contract.cose: ${parsed.reason}`);
const toBeSigned = sigStructure(parsed.value.protectedBytes, new Uint8Array(0), parsed.value.payload);

function perSecond(work: () => boolean): number {
  if (!work()) throw new Error('bench: the verification under test fails');
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 50; i++) work();
    count += 50;
    elapsed = performance.now() - started;
  } while (elapsed < loopMs);
  return Math.round((count * 1000) / elapsed);
}
const verifyRows = (label: string, provider: Ed25519Provider, target?: number): void => {
  const raw = perSecond(() => provider.verify(parsed.value.signature, toBeSigned, key.publicKey));
  const full = perSecond(() => openSigned(signedContract, { publicKey: key.publicKey, expectType: 'Contract', crypto: provider }).ok);
  const verdict = (n: number): string => (target ? (n >= target ? 'pass' : 'MISS') : '—');
  row(`Node verify/s, ${label}: Ed25519 verify`, `${raw.toLocaleString('en-US')} /s`, target ? `≥ ${target.toLocaleString('en-US')} /s` : '—', verdict(raw));
  row(`Node verify/s, ${label}: openSigned Contract`, `${full.toLocaleString('en-US')} /s`, target ? `≥ ${target.toLocaleString('en-US')} /s` : '—', verdict(full));
};
verifyRows('@noble/ed25519', nobleEd25519);
verifyRows('libsodium', sodiumEd25519, 20_000);

console.log('| measure | value | target / reference | result |');
console.log('|---|---|---|---|');
for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);
console.log(`\nXS: xsnap from @agoric/xsnap sources, metering units are deterministic; each XS figure is the median of 5 runs after one warm-up. Node ${process.version}, ${loopMs / 1000} s per loop; the per-second figures are wall-clock and fall when other processes share the cores (load average ${loadavg().map((n) => n.toFixed(1)).join(' / ')}).`);
