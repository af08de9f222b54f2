// What a person sees of the day. On a terminal: a live view redrawn in place — the piles'
// displays side by side (hal/sim/display.ts renders each), what each pile is doing, every phone's
// screen and balance, the latest events — paced so it can be followed. Otherwise (a pipe, a log
// file, a test) one plain line per event and no pacing.
import { formatEnergy, formatMoney } from '../../contracts-offline/display-text.ts';
import { type Scene, type SceneOutput, clockText } from './scene.ts';
import type { SimPile } from './sim-system.ts';

export type Pacing = { eventMs: number; frameMs: number };
/** ~150 events and ~180 clock frames in a day: about 50 s of pacing. */
export const DEFAULT_PACING: Pacing = Object.freeze({ eventMs: 300, frameMs: 35 });
const LOG_LINES = 9;
const MINUTES_PER_FRAME = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a plain log shows of the piles' displays: which piles, and the business time. */
export type DisplaySource = { piles(): readonly SimPile[]; nowMs(): number };

/**
 * One line per event. With `displays`, also each pile's display box: after an event when it
 * shows anything new, and while time passes when it moves to another screen (not at every
 * metering update of the charging screen).
 */
export class PlainOutput implements SceneOutput {
  readonly #out: NodeJS.WritableStream;
  readonly #displays: DisplaySource | undefined;
  readonly #shown = new Map<SimPile, { box: string; screen: string }>();

  constructor(out: NodeJS.WritableStream, displays?: DisplaySource) {
    this.#out = out;
    this.#displays = displays;
  }

  async event(line: string): Promise<void> {
    this.#out.write(`${line}\n`);
    this.#printDisplays((shown, box) => shown.box !== box);
  }

  async timePassed(): Promise<void> {
    this.#printDisplays((shown, _box, screen) => shown.screen !== screen, true);
  }

  #printDisplays(changed: (shown: { box: string; screen: string }, box: string, screen: string) => boolean, stamped = false): void {
    for (const pile of this.#displays?.piles() ?? []) {
      const display = pile.sim.display;
      const box = display.render();
      const screen = `${display.status} ${display.lines[0]}`;
      const shown = this.#shown.get(pile);
      if (shown && !changed(shown, box, screen)) continue;
      this.#shown.set(pile, { box, screen });
      if (stamped) this.#out.write(`${clockText(this.#displays!.nowMs())}  ${pile.label.padEnd(10)} display:\n`);
      this.#out.write(box.split('\n').map((l) => `       ${l}`).join('\n') + '\n');
    }
  }
}

export class LiveView implements SceneOutput {
  readonly #out: NodeJS.WriteStream;
  readonly #title: string;
  readonly #pacing: Pacing | undefined;
  readonly #log: string[] = [];
  #scene: Scene | undefined;
  #minutes = 0;
  #screens = '';
  #link: string | undefined;

  /** `pacing` undefined: redraw as fast as the day runs. */
  constructor(out: NodeJS.WriteStream, title: string, pacing: Pacing | undefined) {
    this.#out = out;
    this.#title = title;
    this.#pacing = pacing;
    out.write('\x1b[?25l\x1b[2J');
    process.once('SIGINT', this.#interrupted);
  }

  readonly #interrupted = (): void => {
    this.#out.write('\x1b[?25h\ninterrupted\n');
    process.exit(130);
  };

  attach(scene: Scene): void {
    this.#scene = scene;
  }

  /** A line under the title, never cut to the terminal's width (the dashboard's link: a cut one is no link). */
  showLink(line: string): void {
    this.#link = line;
    this.#draw();
  }

  async event(line: string): Promise<void> {
    this.#log.push(line);
    if (this.#log.length > LOG_LINES) this.#log.shift();
    this.#draw();
    if (this.#pacing) await sleep(this.#pacing.eventMs);
  }

  /** Redraws every few business minutes, and whenever a pile's display moves to another screen. */
  async timePassed(): Promise<void> {
    const screens = this.#scene?.system.piles.map((p) => `${p.sim.display.status} ${p.sim.display.lines[0]}`).join('\n') ?? '';
    if (++this.#minutes % MINUTES_PER_FRAME !== 0 && screens === this.#screens) return;
    this.#screens = screens;
    this.#draw();
    if (this.#pacing) await sleep(this.#pacing.frameMs);
  }

  close(): void {
    process.off('SIGINT', this.#interrupted);
    this.#draw();
    this.#out.write('\x1b[?25h\n');
  }

  #draw(): void {
    const scene = this.#scene;
    if (!scene) return;
    const width = this.#out.columns || 100; // 0 on a pseudo-terminal given no size
    const lines = [`${this.#title} · ${clockText(scene.nowMs)}`, ...(this.#link === undefined ? [] : [this.#link]), ''];
    const piles = scene.system.piles;
    const boxes = piles.map((p) => p.sim.display.render().split('\n'));
    const boxWidth = boxes[0]?.[0]?.length ?? 0;
    for (let row = 0; row < (boxes[0]?.length ?? 0); row++) lines.push(boxes.map((b) => b[row]).join(' '));
    const status = piles.map((p) => {
      const meter = p.sim.circuit.meter.sample();
      const ev = p.sim.circuit.ev;
      const uplink = p.uplink ? `uplink ${p.uplink.outage.up ? 'up' : 'DOWN'}, ` : '';
      return [`${p.label}: ${p.handle.services?.state() ?? 'fault'}`, ev ? `EV ${ev.stateOfChargePerMille / 10}% ${(meter.powerW / 1000).toFixed(1)} kW` : 'no vehicle', `${uplink}meter ${formatEnergy(meter.energyWh)}`];
    });
    for (let row = 0; row < 3; row++) lines.push(status.map((s) => s[row]!.slice(0, boxWidth).padEnd(boxWidth)).join(' '));
    lines.push('', 'phone    balance   escrow   credit  screen');
    for (const d of scene.drivers) {
      const a = d.account;
      const figures = a ? [a.balanceMinor, a.escrowMinor, a.creditLimitMinor].map((m) => formatMoney(m).padStart(8)).join(' ') : ''.padEnd(26);
      lines.push(`${d.name.padEnd(6)} ${figures}  ${d.screen}`);
    }
    lines.push('', ...this.#log);
    this.#out.write(`\x1b[H${lines.map((l) => `${l === this.#link ? l : l.slice(0, width)}\x1b[K`).join('\n')}\x1b[J`);
  }
}
