// Group commit: jobs submitted while a commit is running are committed together in the next one,
// so concurrent uploads share one transaction (one fsync) instead of queueing one fsync each.
// A job announced with expect() (an upload whose records are still being verified on the worker
// threads) holds the next commit back until it is submitted, at most GROUP_WAIT_MS: without that,
// SQLite's commit — synchronous, it blocks the event loop for its fsync — would find each upload
// alone. Up to `concurrency` groups commit at once (PostgreSQL: each on its own connection; the
// commit function must take its row locks in one global order). When a group fails, its jobs are
// retried one by one, so one bad job fails only itself.
const GROUP_MAX = 64;
const GROUP_WAIT_MS = 2;

type Waiting<J, R> = { job: J; resolve: (result: R) => void; reject: (error: unknown) => void };

export class CommitGroup<J, R> {
  readonly #commit: (jobs: J[]) => Promise<R[]>;
  #waiting: Waiting<J, R>[] = [];
  readonly #concurrency: number;
  #running = 0;
  /** A runner is gathering the next group (only one at a time). */
  #forming = false;
  #expected = 0;
  #arrived: (() => void) | undefined;

  /** `commit` runs one transaction for all jobs and answers one result per job, in order. */
  constructor(commit: (jobs: J[]) => Promise<R[]>, options: { concurrency?: number } = {}) {
    this.#commit = commit;
    this.#concurrency = options.concurrency ?? 1;
  }

  /** Announces a job that will be submitted (or not) soon; call the answer once when it is or will not be. */
  expect(): () => void {
    this.#expected++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#expected--;
      if (this.#expected === 0) this.#arrived?.();
    };
  }

  submit(job: J): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ job, resolve, reject });
      if (this.#waiting.length >= GROUP_MAX) this.#arrived?.();
      if (!this.#forming && this.#running < this.#concurrency) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running++;
    while (this.#waiting.length > 0 && !this.#forming) {
      this.#forming = true;
      if (this.#expected > 0 && this.#waiting.length < GROUP_MAX) await this.#awaitExpected();
      const group = this.#waiting.splice(0, GROUP_MAX);
      this.#forming = false;
      if (this.#waiting.length > 0 && this.#running < this.#concurrency) void this.#run();
      try {
        const results = await this.#commit(group.map((w) => w.job));
        group.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        if (group.length === 1) {
          group[0]!.reject(error);
          continue;
        }
        for (const w of group) await this.#commit([w.job]).then((r) => w.resolve(r[0]!), w.reject);
      }
    }
    this.#running--;
  }

  #awaitExpected(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#arrived?.(), GROUP_WAIT_MS);
      this.#arrived = () => {
        clearTimeout(timer);
        this.#arrived = undefined;
        resolve();
      };
    });
  }
}
