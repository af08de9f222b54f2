// The OCPP-J codec, the payload validators, the RPC layer, the client (loopback uplink, virtual
// clock), DataTransfer, the identity answer, the transaction messages and the billing records of a
// real pile on a loopback uplink, on the pile's own engine: frame, rpc, client, data-transfer,
// identity, pile-status, transaction-messages and record-delivery .test.ts bundled and run inside
// XS, each XS test mirrored here.
import { test } from 'uvu';
import { mirrorXsResults, runTestFileInXs } from '../../support/xs/xs-tests.ts';

for (const name of ['frame', 'rpc', 'client', 'data-transfer', 'identity', 'pile-status', 'transaction-messages', 'record-delivery']) {
  const run = await runTestFileInXs(new URL(`./${name}.test.ts`, import.meta.url).pathname);
  mirrorXsResults(test, `xs:${name}`, run);
}

test.run();
