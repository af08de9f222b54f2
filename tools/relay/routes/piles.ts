// The pile registry: registration and configuration by operators (each answering the relay-signed
// PileUpdate to write into the pile), the pile's provisioning record (at registration, and again
// later with the current PileUpdate), the pile's record holdings and gaps, pending updates for
// phones (R3), and the current Ack.
import { bytesToBase64url, bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { type Tariff, U32_MAX } from '../../../contracts-offline/messages/fields.ts';
import { encodePileUpdate } from '../../../contracts-offline/messages/pile-update.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { RouteHandler } from '../http/routes.ts';
import { gapsOf, heldRanges, pickAckRanges, signAck } from '../ingest/ack.ts';
import type { Queryable } from '../storage/db.ts';

export type PileConfig = { configVersion: number; label: string; maxPowerW: number; tariff: Tariff };

type ConfigRow = {
  config_version: number; label: string; max_power_w: number; tariff_version: number; energy_minor_per_kwh: number;
  time_minor_per_hour: number; session_fee_minor: number; pile_update: Uint8Array;
};

const configOf = (r: ConfigRow): PileConfig => ({
  configVersion: Number(r.config_version),
  label: r.label,
  maxPowerW: Number(r.max_power_w),
  tariff: { version: Number(r.tariff_version), energyMinorPerKwh: Number(r.energy_minor_per_kwh), timeMinorPerHour: Number(r.time_minor_per_hour), sessionFeeMinor: Number(r.session_fee_minor) },
});

/** The pile's current configuration (404 unknown-pile when it is not registered). */
export async function currentConfig(q: Queryable, pileId: string, forUpdate = ''): Promise<PileConfig & { pileUpdate: Uint8Array }> {
  const pile = await q.get<{ config_version: number }>(`SELECT config_version FROM piles WHERE pile_id = ?${forUpdate}`, [pileId]);
  if (!pile) throw new HttpError('unknown-pile', `pile ${pileId} is not registered`);
  const row = (await q.get<ConfigRow>('SELECT * FROM pile_configs WHERE pile_id = ? AND config_version = ?', [pileId, pile.config_version]))!;
  return { ...configOf(row), pileUpdate: row.pile_update };
}

async function storeConfig(ctx: RelayContext, tx: Queryable, pileId: string, config: PileConfig): Promise<Uint8Array> {
  const issuedAtS = ctx.nowS();
  const update = signMessage(encodePileUpdate({ pileId: hexToBytes(pileId), configVersion: config.configVersion, tariff: config.tariff, label: config.label, maxPowerW: config.maxPowerW, issuedAtS }), ctx.relayKey.secretKey, { kid: ctx.relayKey.kid, crypto: ctx.crypto });
  const t = config.tariff;
  await tx.run(
    `INSERT INTO pile_configs (pile_id, config_version, label, max_power_w, tariff_version, energy_minor_per_kwh, time_minor_per_hour, session_fee_minor, issued_at_s, pile_update)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [pileId, config.configVersion, config.label, config.maxPowerW, t.version, t.energyMinorPerKwh, t.timeMinorPerHour, t.sessionFeeMinor, issuedAtS, update],
  );
  await tx.run('UPDATE piles SET config_version = ? WHERE pile_id = ?', [config.configVersion, pileId]);
  return update;
}

const registerPile: RouteHandler<'registerPile'> = async (ctx, { body }) => {
  const pileId = body.pileId.toLowerCase();
  const pilePublicKey = body.publicKey.toLowerCase();
  const config: PileConfig = { configVersion: 1, label: body.label, maxPowerW: body.maxPowerW, tariff: { version: 1, ...body.tariff } };
  const pileUpdate = await ctx.db.transaction(async (tx) => {
    const inserted = await tx.run('INSERT INTO piles (pile_id, public_key, operator, config_version, created_at_s) VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING', [pileId, pilePublicKey, body.operator, ctx.nowS()]);
    if (inserted === 0) throw new HttpError('already-registered', `pile ${pileId} is already registered`);
    return storeConfig(ctx, tx, pileId, config);
  });
  return { status: 201, body: { pileId, relayPublicKey: bytesToHex(ctx.relayKey.publicKey), pilePublicKey, configVersion: 1, pileUpdate: bytesToBase64url(pileUpdate), firstBillingSeq: 1 } };
};

/**
 * The record POST /v1/piles answered, with the current PileUpdate instead of the first: every part is public already (GET /v1/piles/{pileId}, …/update).
 * Its billing numbering starts past every record held for the pile: a pile provisioned again after a factory reset (refused on the
 * pile while any record is unacknowledged, so the relay holds them all) never reuses a contract id.
 */
const pileProvisioning: RouteHandler<'pileProvisioning'> = async (ctx, { params }) => {
  const pileId = params.pileId.toLowerCase();
  const config = await currentConfig(ctx.db, pileId);
  const row = (await ctx.db.get<{ public_key: string }>('SELECT public_key FROM piles WHERE pile_id = ?', [pileId]))!;
  const held = await ctx.db.get<{ last_seq: number | null }>('SELECT MAX(seq) AS last_seq FROM records WHERE pile_id = ?', [pileId]);
  const firstBillingSeq = Number(held?.last_seq ?? 0) + 1;
  return {
    status: 200,
    body: { pileId, relayPublicKey: bytesToHex(ctx.relayKey.publicKey), pilePublicKey: row.public_key, configVersion: config.configVersion, pileUpdate: bytesToBase64url(config.pileUpdate), firstBillingSeq },
  };
};

const configurePile: RouteHandler<'configurePile'> = async (ctx, { params, body }) => {
  const pileId = params.pileId.toLowerCase();
  const { label, maxPowerW, tariff } = body;
  if (label === undefined && maxPowerW === undefined && tariff === undefined) throw new HttpError('invalid-field', 'give at least one of "label", "maxPowerW", "tariff"');
  const { configVersion, pileUpdate } = await ctx.db.transaction(async (tx) => {
    const held = await currentConfig(tx, pileId, ctx.db.forUpdate);
    if (held.configVersion >= U32_MAX) throw new HttpError('config-exhausted', `pile ${pileId} has used every config version`);
    const t = held.tariff;
    const tariffChanged = tariff !== undefined && (tariff.energyMinorPerKwh !== t.energyMinorPerKwh || tariff.timeMinorPerHour !== t.timeMinorPerHour || tariff.sessionFeeMinor !== t.sessionFeeMinor);
    const next: PileConfig = {
      configVersion: held.configVersion + 1,
      label: label ?? held.label,
      maxPowerW: maxPowerW ?? held.maxPowerW,
      tariff: tariffChanged ? { ...tariff, version: t.version + 1 } : t,
    };
    return { configVersion: next.configVersion, pileUpdate: await storeConfig(ctx, tx, pileId, next) };
  });
  return { status: 200, body: { configVersion, pileUpdate: bytesToBase64url(pileUpdate) } };
};

const pile: RouteHandler<'pile'> = async (ctx, { params }) => {
  const pileId = params.pileId.toLowerCase();
  const config = await currentConfig(ctx.db, pileId);
  const row = (await ctx.db.get<{ public_key: string; operator: string }>('SELECT public_key, operator FROM piles WHERE pile_id = ?', [pileId]))!;
  const count = await ctx.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM records WHERE pile_id = ?', [pileId]);
  const held = await heldRanges(ctx.db, pileId);
  return {
    status: 200,
    body: {
      pileId, publicKey: row.public_key, operator: row.operator, label: config.label, maxPowerW: config.maxPowerW,
      configVersion: config.configVersion, tariff: config.tariff, records: Number(count?.n ?? 0), held, gaps: gapsOf(held),
    },
  };
};

const pileUpdate: RouteHandler<'pileUpdate'> = async (ctx, { params, query }) => {
  const config = await currentConfig(ctx.db, params.pileId.toLowerCase());
  if (config.configVersion <= (query.configVersion ?? 0)) return { status: 204 };
  return { status: 200, body: { configVersion: config.configVersion, pileUpdate: bytesToBase64url(config.pileUpdate) } };
};

const pileAck: RouteHandler<'pileAck'> = async (ctx, { params }) => {
  const pileId = params.pileId.toLowerCase();
  await currentConfig(ctx.db, pileId);
  const held = await heldRanges(ctx.db, pileId);
  if (held.length === 0) return { status: 204 };
  return { status: 200, body: { ack: bytesToBase64url(signAck(pileId, pickAckRanges(held, []), ctx.nowS(), ctx.relayKey, ctx.crypto)) } };
};

export const pileHandlers = { registerPile, pileProvisioning, configurePile, pile, pileUpdate, pileAck };
