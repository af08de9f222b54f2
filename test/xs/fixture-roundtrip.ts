// The round trip both engines run on the fixtures (test/xs/fixtures-roundtrip.test.ts calls it in
// Node and, bundled, in XS): JSON -> message (the CLI's mapping, codec.fromJson) -> encode ->
// COSE_Sign1 with the test key -> openSigned -> JSON again. XS-safe: only contracts-offline.
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { type MessageName, codecs } from '../../contracts-offline/messages/registry.ts';
import type { MessageCodec } from '../../contracts-offline/messages/schema.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';

export type RoundTrip = { signedHex: string; reopened: { ok: true; json: unknown } | { ok: false; reason: string } };

export function roundTripFixtures(fixtures: Partial<Record<MessageName, unknown>>, secretKeyHex: string): Record<string, RoundTrip> {
  const key = keyPairFromSecret(hexToBytes(secretKeyHex));
  const out: Record<string, RoundTrip> = {};
  for (const [name, json] of Object.entries(fixtures) as [MessageName, unknown][]) {
    const codec = codecs[name] as MessageCodec<unknown>;
    const signed = signMessage(codec.encode(codec.fromJson(json)), key.secretKey, { kid: key.kid });
    const opened = openSigned(signed, { publicKey: key.publicKey, expectType: name });
    out[name] = {
      signedHex: bytesToHex(signed),
      reopened: opened.ok ? { ok: true, json: codec.toJson(opened.value.message) } : { ok: false, reason: opened.reason },
    };
  }
  return out;
}
