// The phone pins the relay's public key at first contact (GET /v1/relay) and checks every
// relay-signed message it will write into a pile (PileUpdate, Authorization, Ack) before sending
// it: a pile would refuse a bad one anyway, but the phone should not spend a tap on it.
import { bytesToHex, equalBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { MessageMap } from '../../contracts-offline/messages/registry.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { PhoneError } from './errors.ts';
import type { RelayClient } from './relay-client.ts';
import type { WalletState } from './wallet-state.ts';

/** The pinned relay key, fetched and pinned on first use. Throws if the relay now shows another key. */
export async function relayKey(state: WalletState, relay: RelayClient): Promise<Uint8Array> {
  if (state.relayPublicKey) return hexToBytes(state.relayPublicKey);
  const info = await relay.relayInfo();
  state.relayPublicKey = bytesToHex(info.relayPublicKey);
  return info.relayPublicKey;
}

export async function checkRelayKey(state: WalletState, relay: RelayClient): Promise<void> {
  const info = await relay.relayInfo();
  if (state.relayPublicKey && !equalBytes(hexToBytes(state.relayPublicKey), info.relayPublicKey)) {
    throw new PhoneError('relay-not-trusted', `relay ${relay.baseUrl} shows key ${bytesToHex(info.relayPublicKey)}, but this wallet trusts ${state.relayPublicKey}`);
  }
  state.relayPublicKey = bytesToHex(info.relayPublicKey);
}

type RelaySigned = 'PileUpdate' | 'Authorization' | 'Ack';

/** Opens a relay-signed message of type `type` with the pinned key, or throws PhoneError. */
export function openRelaySigned<N extends RelaySigned>(state: WalletState, bytes: Uint8Array, type: N): MessageMap[N] {
  if (!state.relayPublicKey) throw new PhoneError('relay-not-trusted', `cannot check a ${type}: no relay key pinned yet`);
  const opened = openSigned(bytes, { publicKey: hexToBytes(state.relayPublicKey), expectType: type });
  if (!opened.ok) throw new PhoneError('relay-not-trusted', `${type} from the relay does not verify: ${opened.reason}`);
  return opened.value.message;
}
