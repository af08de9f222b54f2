// Runs inside xsnap (bundled by runDayInXs, xs-day.ts):
// the scripted pile day on the firmware and the board named by the global DAY_BOARD (the hal/sim
// parts, or the host board's drivers over bus simulations), then one line `XS-DAY {json}`: the
// flash image's SHA-256 and length, every signed record handed out, and every tap's air figures.
import { dayOutcome } from '../day/day-outcome.ts';
import { runScriptedDay } from '../day/scripted-day.ts';

declare function print(...values: unknown[]): void;
declare const DAY_BOARD: 'hal-sim' | 'host';

runScriptedDay({ board: DAY_BOARD }).then(
  (day) => print(`XS-DAY ${JSON.stringify(dayOutcome(day))}`),
  (error: unknown) => {
    print(`XS-DAY-ERROR ${error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)}`);
  },
);
