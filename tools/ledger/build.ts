// `node --import tsx tools/ledger/build.ts`: compile the Solidity sources with the bundled solc-js
// and rewrite artifacts/TapchargeLedger.json (loading also does this when the sources changed).
import { compileLedger, writeArtifact } from './artifact.ts';

const artifact = compileLedger();
writeArtifact(artifact);
console.log(`TapchargeLedger: ${(artifact.bytecode.length - 2) / 2} bytes of init code, solc ${artifact.solcVersion}`);
