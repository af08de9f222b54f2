// An in-process EVM (@nomicfoundation/edr 0.13, L1 chain, Prague rules) behind an EIP-1193
// `request` function. One EdrContext per process (EDR allows only one); providers are cheap.
// The genesis is either fresh or a snapshot's state: EDR 0.13 marks genesis `storage` as "not
// supported yet" but does load it (the snapshot's state-root check would catch it if it did not).
import { createRequire } from 'node:module';
import { hexToBytes, type Address } from 'viem';
import type * as Edr from '@nomicfoundation/edr';
import { RpcError } from './errors.ts';

export type Eip1193 = { request(args: { method: string; params?: unknown }): Promise<unknown> };
/**
 * `funded`: a fresh chain (the hardfork's system contracts plus these accounts with 10^30 wei);
 * `state`: the whole genesis state, e.g. a snapshot's accounts (snapshot-load.ts).
 */
export type EdrGenesis = { funded: Address[] } | { state: Edr.AccountOverride[] };
export type EdrChainConfig = { chainId: number; genesisTimeS: bigint; genesis: EdrGenesis };

const edr = createRequire(import.meta.url)('@nomicfoundation/edr') as typeof Edr;
const hardfork = edr.PRAGUE;
let context: Promise<Edr.EdrContext> | undefined;

/** The accounts a chain starts with. */
export function genesisState(genesis: EdrGenesis): Edr.AccountOverride[] {
  if ('state' in genesis) return genesis.state;
  return [
    ...edr.l1GenesisState(edr.l1HardforkFromString(hardfork)),
    ...genesis.funded.map((address) => ({ address: hexToBytes(address), balance: 10n ** 30n })),
  ];
}

function edrContext(): Promise<Edr.EdrContext> {
  context ??= (async () => {
    const ctx = new edr.EdrContext();
    await ctx.registerProviderFactory(edr.L1_CHAIN_TYPE, edr.l1ProviderFactory());
    return ctx;
  })();
  return context;
}

export async function createEdrProvider(config: EdrChainConfig): Promise<Eip1193> {
  const provider = await (await edrContext()).createProvider(
    edr.L1_CHAIN_TYPE,
    {
      allowBlocksWithSameTimestamp: true,
      allowUnlimitedContractSize: false,
      bailOnCallFailure: false,
      bailOnTransactionFailure: false,
      chainId: BigInt(config.chainId),
      coinbase: new Uint8Array(20),
      defaultTransactionGasLimit: 30_000_000n,
      genesisState: genesisState(config.genesis),
      hardfork,
      initialBaseFeePerGas: 1_000_000_000n,
      minGasPrice: 0n,
      mining: { autoMine: true, memPool: { order: edr.MineOrdering.Fifo } },
      network: { genesisBlockGasLimit: 60_000_000n, genesisBlockTime: config.genesisTimeS },
      networkId: BigInt(config.chainId),
      observability: {},
      ownedAccounts: [],
      precompileOverrides: [],
    },
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => {} },
    { subscriptionCallback: () => {} },
    new edr.ContractDecoder(),
  );
  let id = 0;
  return {
    async request({ method, params }) {
      const response = await provider.handleRequest(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }));
      const body = (typeof response.data === 'string' ? JSON.parse(response.data) : response.data) as {
        result?: unknown;
        error?: { code: number; message: string; data?: unknown };
      };
      if (body.error) throw new RpcError(body.error.code, body.error.message, body.error.data);
      return body.result;
    },
  };
}
