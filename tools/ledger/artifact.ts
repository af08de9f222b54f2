// The compiled ledger contract. The artefact (ABI + bytecode) is committed next to the sources
// as artifacts/TapchargeLedger.json together with the SHA-256 of the sources it came from;
// loading checks that hash and recompiles with the bundled solc-js if the sources changed.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Abi, Hex } from 'viem';

export type LedgerArtifact = {
  contractName: 'TapchargeLedger';
  solcVersion: string;
  sourcesSha256: string;
  abi: Abi;
  bytecode: Hex;
};

const solDir = new URL('./sol/', import.meta.url).pathname;
const artifactPath = new URL('./artifacts/TapchargeLedger.json', import.meta.url).pathname;
/** evmVersion `paris` (no PUSH0) so the bytecode runs on consortium chains that lag mainnet hardforks. */
const settings = {
  evmVersion: 'paris',
  viaIR: true,
  optimizer: { enabled: true, runs: 10_000 },
  outputSelection: { 'TapchargeLedger.sol': { TapchargeLedger: ['abi', 'evm.bytecode.object'] } },
};

function readSources(): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {};
  for (const file of readdirSync(solDir).filter((f) => f.endsWith('.sol')).sort()) {
    sources[file] = { content: readFileSync(solDir + file, 'utf8') };
  }
  return sources;
}

function hashSources(sources: Record<string, { content: string }>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(settings));
  for (const [name, { content }] of Object.entries(sources)) hash.update(`${name}\0${content}\0`);
  return hash.digest('hex');
}

export function compileLedger(): LedgerArtifact {
  const sources = readSources();
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string; version(): string };
  const input = { language: 'Solidity', sources, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`ledger: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const compiled = output.contracts?.['TapchargeLedger.sol']?.['TapchargeLedger'];
  if (!compiled) throw new Error('ledger: solc produced no TapchargeLedger output');
  return {
    contractName: 'TapchargeLedger',
    solcVersion: solc.version(),
    sourcesSha256: hashSources(sources),
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
  };
}

export function writeArtifact(artifact: LedgerArtifact): void {
  mkdirSync(new URL('./artifacts/', import.meta.url).pathname, { recursive: true });
  const tmp = `${artifactPath}.${process.pid}.tmp`; // test processes may rebuild at the same time
  writeFileSync(tmp, JSON.stringify(artifact, null, 1) + '\n');
  renameSync(tmp, artifactPath);
}

let cached: LedgerArtifact | undefined;

/** The artefact matching the current sources; compiles (and rewrites the file) when stale. */
export function loadLedgerArtifact(): LedgerArtifact {
  if (cached) return cached;
  const expected = hashSources(readSources());
  let artifact: LedgerArtifact | undefined;
  try {
    artifact = JSON.parse(readFileSync(artifactPath, 'utf8')) as LedgerArtifact;
  } catch {
    artifact = undefined;
  }
  if (!artifact || artifact.sourcesSha256 !== expected) {
    artifact = compileLedger();
    writeArtifact(artifact);
  }
  cached = artifact;
  return artifact;
}
