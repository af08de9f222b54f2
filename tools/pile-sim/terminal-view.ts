// The served pile in a terminal: its display (hal/sim/display.ts renders the box), the vehicle and
// meter beside it, and a short log. On a TTY the view is redrawn in place; otherwise each change
// is printed once, so a log file or a test reading stdout sees every screen.
import type { DisplaySim } from '../../hal/sim/display.ts';
import type { PileStatus } from './vehicle-control.ts';

const logLines = 8;

export class TerminalView {
  readonly #out: NodeJS.WriteStream;
  readonly #display: DisplaySim;
  readonly #header: string;
  #log: string[] = [];
  #last: PileStatus | undefined;

  constructor(out: NodeJS.WriteStream, display: DisplaySim, header: string) {
    this.#out = out;
    this.#display = display;
    this.#header = header;
  }

  show(status: PileStatus): void {
    this.#last = status;
    if (this.#out.isTTY) return this.#redraw();
    this.#out.write(`${this.#display.render()}\n${describe(status)}\n`);
  }

  log(line: string): void {
    const stamped = `${new Date().toISOString().slice(11, 19)} ${line}`;
    this.#log = [...this.#log, stamped].slice(-logLines);
    if (this.#out.isTTY) this.#redraw();
    else this.#out.write(`${stamped}\n`);
  }

  #redraw(): void {
    const lines = [this.#header, '', this.#display.render()];
    if (this.#last) lines.push(describe(this.#last));
    lines.push('', 'keys: p plug an EV, u unplug, s vehicle stops drawing, q quit', '', ...this.#log);
    this.#out.write(`\x1b[2J\x1b[H${lines.join('\n')}\n`);
  }
}

function describe(s: PileStatus): string {
  const vehicle = s.plugged ? `EV plugged (${s.vehicleStoredWh} Wh in battery)` : 'no vehicle';
  return `${s.state} | ${vehicle} | meter ${s.meterEnergyWh} Wh | contactor ${s.contactorClosed ? 'closed' : 'open'} | ${new Date(s.nowMs).toISOString()}`;
}
