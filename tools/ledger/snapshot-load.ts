// Starts an EDR chain from a snapshot: its accounts are the genesis state, `hardhat_mine` adds
// the blocks up to the snapshot's number at its timestamp (EDR reserves them without executing
// anything: the state stays; interval 0), and the next block's gas limit and base fee are set, so the transactions
// replayed after it get the block numbers, base fees and state roots they had. The chain's state
// root must then equal the recorded one, else the snapshot is refused.
import { hexToBytes } from 'viem';
import { createEdrProvider, type Eip1193 } from './edr-provider.ts';
import { SnapshotRefused, type ChainSnapshot } from './snapshot-format.ts';

type Block = { number: string; timestamp: string; stateRoot: string; gasLimit: string; baseFeePerGas?: string };

const quantity = (n: bigint): string => `0x${n.toString(16)}`;
const blockOf = async (provider: Eip1193, tag: 'latest' | 'pending'): Promise<Block> => (await provider.request({ method: 'eth_getBlockByNumber', params: [tag, false] })) as Block;

/** A chain whose genesis holds the snapshot's accounts, before any block is added. */
export function snapshotGenesisChain(snapshot: ChainSnapshot): Promise<Eip1193> {
  return createEdrProvider({
    chainId: snapshot.chainId,
    genesisTimeS: snapshot.blockTimestampS,
    genesis: {
      state: snapshot.accounts.map((a) => ({
        address: hexToBytes(a.address),
        balance: a.balance,
        nonce: a.nonce,
        code: hexToBytes(a.code),
        storage: [...a.storage].map(([slot, value]) => ({ index: BigInt(slot), value })),
      })),
    },
  });
}

export async function startFromSnapshot(snapshot: ChainSnapshot): Promise<Eip1193> {
  const provider = await snapshotGenesisChain(snapshot);
  if (snapshot.blockNumber > 0n) {
    // EDR's clock starts at the genesis time and runs with the wall clock: pin the reserved blocks' time.
    await provider.request({ method: 'evm_setNextBlockTimestamp', params: [quantity(snapshot.blockTimestampS)] });
    await provider.request({ method: 'hardhat_mine', params: [quantity(snapshot.blockNumber), '0x0'] });
  }
  // EDR gives reserved blocks its default gas limit (1,000,000 when more than a few are mined).
  await provider.request({ method: 'evm_setBlockGasLimit', params: [quantity(snapshot.blockGasLimit)] });
  await provider.request({ method: 'hardhat_setNextBlockBaseFeePerGas', params: [quantity(snapshot.nextBaseFeePerGas)] });
  const block = await blockOf(provider, 'latest');
  const next = await blockOf(provider, 'pending');
  if (BigInt(block.number) !== snapshot.blockNumber || BigInt(block.timestamp) !== snapshot.blockTimestampS) throw new SnapshotRefused(`the chain reached block ${BigInt(block.number)} at ${BigInt(block.timestamp)} s, not ${snapshot.blockNumber} at ${snapshot.blockTimestampS} s`);
  if (block.stateRoot !== snapshot.stateRoot) throw new SnapshotRefused(`state root after loading is ${block.stateRoot}, the snapshot recorded ${snapshot.stateRoot}`);
  if (BigInt(next.gasLimit) !== snapshot.blockGasLimit || BigInt(next.baseFeePerGas ?? '0x0') !== snapshot.nextBaseFeePerGas) throw new SnapshotRefused(`the next block would have gas limit ${BigInt(next.gasLimit)} and base fee ${BigInt(next.baseFeePerGas ?? '0x0')}, not ${snapshot.blockGasLimit} and ${snapshot.nextBaseFeePerGas}`);
  return provider;
}
