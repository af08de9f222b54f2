// Who may open an OCPP connection (OCPP-J 1.6 §3.1: ws(s)://relay/ocpp/<identity>): the
// identity is the pile id, 16 hex digits, of a registered pile; the client offers the
// subprotocol ocpp1.6. Decided before the WebSocket handshake completes, as an HTTP status:
// 400 for a malformed id or no ocpp1.6, 404 for a pile the relay does not know. Knowing the id
// proves nothing yet: the connection must still prove it is the pile's (identity.ts).
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import { type Result, fail, ok } from '../../../contracts-offline/result.ts';
import type { Db } from '../storage/db.ts';

export const OCPP_PATH_PREFIX = '/ocpp/';
export const OCPP_SUBPROTOCOL = 'ocpp1.6';

const pileIdHex = /^[0-9a-fA-F]{16}$/;

export type UplinkPile = { pileIdHex: string; pileId: Uint8Array; publicKey: Uint8Array };

/** The pile id of an upgrade request's path, or the refusal; undefined: not an OCPP path at all. */
export function pileIdOfPath(url: string | undefined): Result<string, 'bad-request'> | undefined {
  const path = (url ?? '/').split('?')[0]!;
  if (!path.startsWith(OCPP_PATH_PREFIX)) return undefined;
  const identity = path.slice(OCPP_PATH_PREFIX.length);
  if (!pileIdHex.test(identity)) return fail('bad-request', `expected ${OCPP_PATH_PREFIX}<pile id: 16 hex digits>, got ${path.slice(0, 80)}`);
  return ok(identity.toLowerCase());
}

/** The registered pile of this id and its public key, or a 404. */
export async function registeredPile(db: Db, pileIdHex: string): Promise<Result<UplinkPile, 'unknown-pile'>> {
  const row = await db.get<{ public_key: string }>('SELECT public_key FROM piles WHERE pile_id = ?', [pileIdHex]);
  if (!row) return fail('unknown-pile', `no pile ${pileIdHex} is registered`);
  return ok({ pileIdHex, pileId: hexToBytes(pileIdHex), publicKey: hexToBytes(row.public_key) });
}
