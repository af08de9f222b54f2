// `tapcharge console TTY` (host-main.ts): one blank pile on the host board — a journal partition
// never provisioned, a secure element holding no key yet — run by the firmware's runtime
// (firmware/pile-runtime.ts) with its service console on the tty TTY, through Moddable's
// `embedded:io/serial` (lin: its `device` option is the tty's path) and boards/serial-service-port.ts.
// The pile lives as long as the process (its journal and key in memory). Its simulated clock
// follows the wall clock: a Moddable timer advances it every 100 ms. Prints
//   XS-CONSOLE {"tty":TTY}
// once the console listens, then serves until the process is killed (test/device/native-console.test.ts).
import Serial from 'embedded:io/serial';
import Timer from 'timer';
import { createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { createHostBoard } from '../../boards/host/hal.ts';
import { type SerialDevice, type SerialIoClass, SerialServicePort } from '../../boards/serial-service-port.ts';
import { runPile } from '../../firmware/pile-runtime.ts';

declare function print(...values: unknown[]): void;

const CONSOLE_BAUD = 115_200;
const CLOCK_STEP_MS = 100;

export function runConsole(tty: string | undefined): Promise<number> {
  if (!tty) {
    print('usage: tapcharge console TTY');
    return Promise.resolve(2);
  }
  const startMs = Date.now();
  // Seeded from the wall clock: each run of the pile draws other challenges and another key.
  const sim = createSimulatedPile({ startMs, seed: startMs % 0x7fff_ffff, meterEnergyWh: 1_000_000 });
  const board = createHostBoard(sim, {});
  // The lin serial's constructor takes `device`, which Moddable's typings (a device's UART pins) do not name.
  const servicePort = new SerialServicePort({ io: Serial as unknown as SerialIoClass<SerialDevice>, device: tty, baud: CONSOLE_BAUD });
  sim.hal = { ...board.hal, servicePort };
  runPile(sim.hal, { board: 'host' });
  let lastMs = startMs;
  Timer.repeat(() => {
    const nowMs = Date.now();
    sim.clock.advance(nowMs - lastMs);
    lastMs = nowMs;
  }, CLOCK_STEP_MS);
  print(`XS-CONSOLE ${JSON.stringify({ tty })}`);
  return new Promise<number>(() => {});
}
