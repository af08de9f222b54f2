// The NFC application on the pile's own engine: the framing, command and nonce tests (with the
// PileServices test double), the R3–R8 scenarios and the voucher lifetime on the pile's clock (the
// real pile, bootPile on the simulated board, phones through the PileReader) bundled and run
// inside XS, each XS test mirrored here.
import { test } from 'uvu';
import { mirrorXsResults, runTestFileInXs } from '../../support/xs/xs-tests.ts';

for (const name of ['framing', 'commands', 'nonce-book', 'scenarios', 'voucher-lifetime']) {
  const run = await runTestFileInXs(new URL(`./${name}.test.ts`, import.meta.url).pathname);
  mirrorXsResults(test, `xs:${name}`, run);
}

test.run();
