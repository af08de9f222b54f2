// TapchargeLedger unit tests on the RPC adapter against anvil (npm @foundry-rs/anvil) on 127.0.0.1:
// one anvil for the file, a fresh contract deployment per test.
import { connectRpcLedger, deployRpcLedger } from '../../tools/ledger/rpc.ts';
import { startAnvil } from '../support/anvil.ts';
import { contractCases } from './contract-cases.ts';

const anvil = await startAnvil();
const [operatorKey, outsiderKey] = anvil.keys;
if (!operatorKey || !outsiderKey) throw new Error('anvil printed no dev keys');

contractCases('ledger contract (anvil over JSON-RPC)', async () => {
  const ledger = await deployRpcLedger({ url: anvil.url, privateKey: operatorKey });
  const outsider = await connectRpcLedger({ url: anvil.url, privateKey: outsiderKey, address: ledger.address });
  return { ledger, outsider, done: async () => { await ledger.close(); } };
}, () => anvil.stop());
