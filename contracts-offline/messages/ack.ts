// Ack (type 9, relay-signed): the journal records of one pile the relay holds durably. The pile
// may prune outbox records covered by a verified Ack, never others (design §4 "commit before act").
import { type MessageCodec, defineMessage } from './schema.ts';
import { U32_MAX, atSField, idField } from './fields.ts';

export const ACK_MAX_RANGES = 16;

/** Inclusive range of journal sequences. */
export type SeqRange = { fromSeq: number; toSeq: number };

export type Ack = {
  pileId: Uint8Array;
  ranges: SeqRange[];
  atS: number;
};

export const AckCodec: MessageCodec<Ack> = defineMessage<Ack>({
  type: 9,
  name: 'Ack',
  fields: {
    pileId: idField(2),
    ranges: {
      kind: 'list',
      key: 3,
      minItems: 1,
      maxItems: ACK_MAX_RANGES,
      fields: { fromSeq: { kind: 'uint', key: 0, min: 0, max: U32_MAX }, toSeq: { kind: 'uint', key: 1, min: 0, max: U32_MAX } },
    },
    atS: atSField(4),
  },
  check: (m) => {
    let previousTo = -2;
    for (const r of m.ranges) {
      if (r.fromSeq > r.toSeq) return 'a range has fromSeq after toSeq';
      if (r.fromSeq <= previousTo + 1) return 'ranges must be ascending, disjoint and not adjacent';
      previousTo = r.toSeq;
    }
    return undefined;
  },
});

/** True when the Ack covers journal sequence `seq`. */
export function ackCovers(ack: Ack, seq: number): boolean {
  return ack.ranges.some((r) => seq >= r.fromSeq && seq <= r.toSeq);
}

export const encodeAck = AckCodec.encode;
export const decodeAck = AckCodec.decode;
