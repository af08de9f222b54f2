// Identifiers on the ledger: contract ids, user addresses, write references, amounts.
// Parsers take untrusted text (CLI, relay requests) and throw LedgerError 'bad-input' with one line.
import { contractIdHex } from '../../contracts-offline/contract-id.ts';
import { getAddress, isAddress, keccak256, stringToBytes, concatBytes, type Address, type Hex } from 'viem';
import { LedgerError } from './errors.ts';

const maxUint64 = (1n << 64n) - 1n;

/** The bytes16 contract id of the ledger: the contract id of contracts-offline/contract-id.ts, as 0x hex. */
export function contractIdOf(pileId: Uint8Array, seq: bigint): Hex {
  return `0x${contractIdHex(pileId, seq)}`;
}

export function parseContractId(text: string): Hex {
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new LedgerError('bad-input', `bad contract id "${text}": expected 32 hex digits (pile id 8 bytes + sequence 8 bytes)`);
  if (/^0{16}$/.test(hex.slice(16))) throw new LedgerError('bad-input', `bad contract id "${text}": sequence 0 is not a contract`);
  return `0x${hex.toLowerCase()}`;
}

/**
 * The ledger address of a user: the last 20 bytes of keccak256("tapcharge/user/v1" ‖ key id),
 * key id = first 8 bytes of SHA-256 of the user's Ed25519 public key (design §5). Nobody holds
 * a secp256k1 key for it, so only the operator (after verifying the user's signature) moves it.
 */
export function userAddressOf(keyId: Uint8Array): Address {
  if (keyId.length !== 8) throw new RangeError(`ledger: "keyId" expected 8 bytes, got ${keyId.length}`);
  const digest = keccak256(concatBytes([stringToBytes('tapcharge/user/v1'), keyId]));
  return getAddress(`0x${digest.slice(-40)}`);
}

export function parseAddress(text: string): Address {
  if (!isAddress(text, { strict: false })) throw new LedgerError('bad-input', `bad address "${text}": expected 0x followed by 40 hex digits`);
  return getAddress(text);
}

/** A positive whole number of minor units (no sign, no decimal point, no exponent). */
export function parseAmountMinor(text: string, max = maxUint64): bigint {
  if (!/^[0-9]+$/.test(text)) throw new LedgerError('bad-input', `bad amount "${text}": expected a whole number of minor units`);
  const amount = BigInt(text);
  if (amount === 0n) throw new LedgerError('bad-input', `bad amount "${text}": must be greater than 0`);
  if (amount > max) throw new LedgerError('bad-input', `bad amount "${text}": above the maximum ${max}`);
  return amount;
}

/** A write reference: a bytes32 given as 0x + 64 hex digits, or keccak256 of any other text. */
export function refOf(text: string): Hex {
  if (text.length === 0) throw new LedgerError('bad-input', 'bad ref "": must not be empty');
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase() as Hex;
  return keccak256(stringToBytes(text));
}
