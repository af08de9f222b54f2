// Worker threads that read and verify uploaded records (verify-worker.ts), one per core by default,
// so the event loop keeps to HTTP and the database. A job's records are split over the workers
// (whole jobs when they are small) and answered in order. A thread starts at its first job (about a
// second: tsx and the modules load in it), so a relay that ingests nothing starts none. close()
// answers the work already queued, then ends the threads; a job submitted after close() is refused.
// The workers load TypeScript through tsx: a worker thread does not inherit the loader hooks of the
// thread that starts it (`node --import tsx` or tsx's register() in tools/cli/bin.js), so each
// registers them itself before importing its module.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { VerifyAnswer, VerifyJob, VerifyOutcome, VerifyRequest } from './verify-worker.ts';

/** Below this many records a job is not split: posting to a worker costs about as much as a few verifies. */
const SPLIT_MIN_RECORDS = 16;

const workerModule = new URL('./verify-worker.ts', import.meta.url).href;
const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerModule)}); })`;

type Pending = { resolve: (outcomes: VerifyOutcome[]) => void; reject: (error: unknown) => void };
type Thread = { worker: Worker; pending: Map<number, Pending> };

export class VerifyPool {
  readonly size: number;
  readonly #threads: (Thread | undefined)[];
  readonly #inFlight = new Set<Promise<VerifyOutcome[]>>();
  #nextId = 0;
  #closing: Promise<void> | undefined;

  constructor(size = availableParallelism()) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`verify pool: "size" expected an integer ≥ 1, got ${size}`);
    this.size = size;
    this.#threads = Array.from({ length: size }, () => undefined);
  }

  /** One outcome per record, in order. */
  async verify(job: VerifyJob): Promise<VerifyOutcome[]> {
    if (this.#closing) throw new Error('verify pool: closed');
    const chunks = Math.max(1, Math.min(this.size, Math.floor(job.records.length / SPLIT_MIN_RECORDS)));
    const per = Math.ceil(job.records.length / chunks);
    const parts = Array.from({ length: chunks }, (_, i) => this.#post({ ...job, records: job.records.slice(i * per, (i + 1) * per) }));
    return (await Promise.all(parts)).flat();
  }

  /** Answers the jobs already submitted, then ends the worker threads. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(this.#inFlight);
      await Promise.all(this.#threads.map((t) => t?.worker.terminate()));
    })();
    return this.#closing;
  }

  #post(job: VerifyJob): Promise<VerifyOutcome[]> {
    let index = 0;
    for (let i = 0; i < this.size; i++) {
      const load = this.#threads[i]?.pending.size ?? 0;
      if (load < (this.#threads[index]?.pending.size ?? 0)) index = i;
    }
    const thread = (this.#threads[index] ??= this.#spawn());
    const id = this.#nextId++;
    const answered = new Promise<VerifyOutcome[]>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ ...job, id } satisfies VerifyRequest);
    });
    this.#inFlight.add(answered);
    const settled = () => this.#inFlight.delete(answered);
    answered.then(settled, settled);
    return answered;
  }

  #spawn(): Thread {
    const thread: Thread = { worker: new Worker(bootstrap, { eval: true }), pending: new Map() };
    thread.worker.on('message', (answer: VerifyAnswer) => {
      const p = thread.pending.get(answer.id);
      thread.pending.delete(answer.id);
      p?.resolve(answer.outcomes);
    });
    // A thread that failed (it never should: reading and verifying do not throw) fails its jobs
    // and is replaced at the next job.
    const fail = (error: unknown) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads[index] = undefined;
      for (const p of thread.pending.values()) p.reject(error);
      thread.pending.clear();
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => { if (!this.#closing) fail(new Error(`verify pool: worker exited with code ${code}`)); });
    return thread;
  }
}
