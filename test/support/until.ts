// Waits, bounded and polling, until `done()` holds: the sockets and child processes these tests
// drive are real, so a frame or a line of output takes a moment to arrive.
export async function until(done: () => boolean | Promise<boolean>, what: string, limitMs = 5000, everyMs = 10): Promise<void> {
  for (let waitedMs = 0; !(await done()); waitedMs += everyMs) {
    if (waitedMs >= limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
