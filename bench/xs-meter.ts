// XS metering of one piece of work, inside xsnap (`resetMeter(limit, index)` answers the units
// counted since the last reset). One warm-up run, then `runs` metered runs; metering is
// deterministic, so the runs should agree (the benches report whether they did).
declare function resetMeter(limit: number, index: number): number;

export function meteredRuns(work: () => unknown, runs: number): number[] {
  work();
  const units: number[] = [];
  for (let i = 0; i < runs; i++) {
    resetMeter(0, 0);
    work();
    units.push(resetMeter(0, 0));
  }
  return units;
}
