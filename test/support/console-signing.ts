// Signed messages a relay would give a technician's tool, for console tests: a relay key pair made
// here, its PileUpdate for a pile and its ServiceAuthorization for one console challenge.
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { encodePileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { type ServiceScope, encodeServiceAuthorization } from '../../contracts-offline/messages/service-authorization.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { tariff } from './pile-rig.ts';

export const relay = keyPairFromSecret(new Uint8Array(32).fill(0x61));
export const otherRelay = keyPairFromSecret(new Uint8Array(32).fill(0x62));
export const consolePileId = hexToBytes('50a1e0000000c0de');
export const startMs = Date.UTC(2026, 0, 1);

export function signedPileUpdate(pileId: Uint8Array, configVersion = 1, secretKey = relay.secretKey): Uint8Array {
  const update = { pileId, configVersion, tariff: { ...tariff, version: configVersion }, label: 'Main St 1', maxPowerW: 7400, issuedAtS: startMs / 1000 };
  return signMessage(encodePileUpdate(update), secretKey);
}

export type AuthorizationParts = { pileId: Uint8Array; pilePublicKey: Uint8Array; challenge: Uint8Array; scope: ServiceScope; secretKey?: Uint8Array };

export function signedAuthorization(parts: AuthorizationParts): Uint8Array {
  const { secretKey = relay.secretKey, ...fields } = parts;
  return signMessage(encodeServiceAuthorization({ ...fields, issuedAtS: startMs / 1000 }), secretKey);
}
