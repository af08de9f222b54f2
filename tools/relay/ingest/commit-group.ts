// Group commit: jobs submitted while a commit is running are committed together in the next one,
// so concurrent uploads share one transaction (one fsync) instead of queueing one fsync each.
// When a group fails, its jobs are retried one by one, so one bad job fails only itself.
const GROUP_MAX = 32;

type Waiting<J, R> = { job: J; resolve: (result: R) => void; reject: (error: unknown) => void };

export class CommitGroup<J, R> {
  readonly #commit: (jobs: J[]) => Promise<R[]>;
  #waiting: Waiting<J, R>[] = [];
  #running = false;

  /** `commit` runs one transaction for all jobs and answers one result per job, in order. */
  constructor(commit: (jobs: J[]) => Promise<R[]>) {
    this.#commit = commit;
  }

  submit(job: J): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ job, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0, GROUP_MAX);
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
    this.#running = false;
  }
}
