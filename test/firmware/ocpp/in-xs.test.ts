// The OCPP-J codec, the payload validators, the RPC layer, the client (loopback uplink, virtual
// clock), DataTransfer and the identity answer on the pile's own engine: frame, rpc, client,
// data-transfer, identity and pile-status .test.ts bundled and run inside XS, each XS test mirrored here.
import { test } from 'uvu';
import { mirrorXsResults, runTestFileInXs } from '../../support/xs/xs-tests.ts';

for (const name of ['frame', 'rpc', 'client', 'data-transfer', 'identity', 'pile-status']) {
  const run = await runTestFileInXs(new URL(`./${name}.test.ts`, import.meta.url).pathname);
  mirrorXsResults(test, `xs:${name}`, run);
}

test.run();
