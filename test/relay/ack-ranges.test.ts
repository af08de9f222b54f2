// Held billing sequences → gaps and the ranges of an Ack (at most 16; the uploaded ones first, then
// the newest), checked as worked examples and by encoding a real Ack from them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeAck } from '../../contracts-offline/messages/ack.ts';
import { gapsOf, pickAckRanges } from '../../tools/relay/ingest/ack.ts';

test('gaps are the holes below the highest held sequence, from 1', () => {
  assert.equal(gapsOf([{ fromSeq: 1, toSeq: 2 }, { fromSeq: 5, toSeq: 5 }, { fromSeq: 8, toSeq: 9 }]), [{ fromSeq: 3, toSeq: 4 }, { fromSeq: 6, toSeq: 7 }]);
  assert.equal(gapsOf([{ fromSeq: 3, toSeq: 4 }]), [{ fromSeq: 1, toSeq: 2 }]);
  assert.equal(gapsOf([{ fromSeq: 1, toSeq: 40 }]), []);
  assert.equal(gapsOf([]), []);
});

test('up to 16 ranges are acknowledged as held', () => {
  const held = Array.from({ length: 16 }, (_, i) => ({ fromSeq: 2 * i + 1, toSeq: 2 * i + 1 }));
  assert.equal(pickAckRanges(held, []), held);
});

test('over 16 ranges: the uploaded records first, then the newest; a valid Ack', () => {
  const held = Array.from({ length: 20 }, (_, i) => ({ fromSeq: 2 * i + 1, toSeq: 2 * i + 1 })); // 1, 3, …, 39
  const picked = pickAckRanges(held, [5]);
  assert.is(picked.length, 16);
  assert.equal(picked.map((r) => r.fromSeq), [5, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39]);
  encodeAck({ pileId: new Uint8Array(8), ranges: picked, atS: 1 }); // throws if not ascending, disjoint, ≤ 16
});

test.run();
