// PileUpdate (type 4, relay-signed): new tariff and configuration for one pile. The pile applies
// it only when configVersion is strictly greater than the one it holds (see isNewerConfig).
import { type MessageCodec, defineMessage } from './schema.ts';
import { LABEL_MAX_BYTES, type Tariff, atSField, idField, tariffField, u32Field } from './fields.ts';

export type PileUpdate = {
  pileId: Uint8Array;
  configVersion: number;
  tariff: Tariff;
  label: string;
  maxPowerW: number;
  issuedAtS: number;
};

export const PileUpdateCodec: MessageCodec<PileUpdate> = defineMessage<PileUpdate>({
  type: 4,
  name: 'PileUpdate',
  fields: {
    pileId: idField(2),
    configVersion: u32Field(3, 1),
    tariff: tariffField(4),
    label: { kind: 'text', key: 5, maxBytes: LABEL_MAX_BYTES },
    maxPowerW: { kind: 'uint', key: 6, min: 1, max: 1_000_000 },
    issuedAtS: atSField(7),
  },
});

/** Versions only move forward: a replayed or older update is refused. */
export function isNewerConfig(heldVersion: number, update: PileUpdate): boolean {
  return update.configVersion > heldVersion;
}

export const encodePileUpdate = PileUpdateCodec.encode;
export const decodePileUpdate = PileUpdateCodec.decode;
