// Batching of ingestion: the commit group (tools/relay/ingest/commit-group.ts) puts an announced
// upload in the same commit as the ones submitted meanwhile, lets a commit go when the announced
// upload will not come, and fails only the bad job of a group; the held-range arithmetic that
// replaced the per-record gap query (ack.ts heldBelow, holds, withSeq) agrees with counting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqRange } from '../../contracts-offline/messages/ack.ts';
import { heldBelow, holds, withSeq } from '../../tools/relay/ingest/ack.ts';
import { CommitGroup } from '../../tools/relay/ingest/commit-group.ts';

function recorder() {
  const commits: number[][] = [];
  const group = new CommitGroup<number, string>(async (jobs) => {
    commits.push(jobs);
    if (jobs.includes(13)) throw new Error('job 13 fails');
    return jobs.map((j) => `done ${j}`);
  });
  return { commits, group };
}

test('an announced job joins the commit of the jobs submitted while it was on its way', async () => {
  const { commits, group } = recorder();
  const arrived = group.expect();
  const first = group.submit(1);
  await Promise.resolve();
  const second = group.submit(2);
  arrived();
  assert.equal(await Promise.all([first, second]), ['done 1', 'done 2']);
  assert.equal(commits, [[1, 2]]);
});

test('a commit goes when the announced job will not come', async () => {
  const { commits, group } = recorder();
  const gaveUp = group.expect();
  const first = group.submit(1);
  gaveUp();
  gaveUp(); // a second call changes nothing
  assert.is(await first, 'done 1');
  assert.equal(commits, [[1]]);
  assert.is(await group.submit(2), 'done 2', 'nothing is left expected');
});

test('a failing job fails alone: its group is committed again one job at a time', async () => {
  const { commits, group } = recorder();
  const arrived = group.expect();
  const jobs = [group.submit(12), group.submit(13), group.submit(14)];
  arrived();
  const settled = await Promise.allSettled(jobs);
  assert.equal(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal(commits, [[12, 13, 14], [12], [13], [14]]);
});

/** Held sequences as a set, the reference the range arithmetic must agree with. */
function rangesOf(seqs: number[]): SeqRange[] {
  return [...seqs].sort((a, b) => a - b).reduce<SeqRange[]>((acc, s) => withSeq(acc, s), []);
}

test('held ranges: counting below a sequence, membership and adding agree with the set they stand for', () => {
  const sets = [[], [1], [1, 2, 3], [2, 3, 7], [1, 4, 5, 6, 9, 10], [0, 1, 2], [3, 1, 2, 8, 7]];
  for (const seqs of sets) {
    const held = rangesOf(seqs);
    for (let s = 0; s <= 12; s++) {
      assert.is(heldBelow(held, s), seqs.filter((x) => x < s).length, `below ${s} in ${seqs}`);
      assert.is(holds(held, s), seqs.includes(s), `holds ${s} in ${seqs}`);
    }
  }
  assert.equal(rangesOf([5, 1, 3, 2, 7, 6]), [{ fromSeq: 1, toSeq: 3 }, { fromSeq: 5, toSeq: 7 }]);
  assert.equal(withSeq([{ fromSeq: 1, toSeq: 3 }, { fromSeq: 5, toSeq: 7 }], 4), [{ fromSeq: 1, toSeq: 7 }], 'the hole filled joins both');
});

test.run();
