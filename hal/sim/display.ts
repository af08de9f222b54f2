// SIMULATION of the pile's character display (e.g. a 24 × 6 text area on a small TFT, or an
// HD44780-class LCD) plus its status LED, with a terminal renderer: a bordered box of rows with
// the status in the top border. Like the controller, it clips long lines to the width; anything
// it could not show (too many rows, non-printable characters) is a firmware bug and throws.
import type { Display, DisplayStatus } from '../types.ts';

export type DisplayOptions = { rows?: number; columns?: number };

const defaults = { rows: 6, columns: 24 };
const statuses: readonly DisplayStatus[] = ['idle', 'busy', 'charging', 'attention', 'fault'];

export class DisplaySim implements Display {
  readonly rows: number;
  readonly columns: number;
  #lines: string[];
  #status: DisplayStatus = 'idle';
  #frames = 0;

  constructor(options: DisplayOptions = {}) {
    const o = { ...defaults, ...options };
    if (!Number.isInteger(o.rows) || o.rows < 1) throw new RangeError(`sim/display: "rows" expected a positive integer, got ${o.rows}`);
    if (!Number.isInteger(o.columns) || o.columns < 8) throw new RangeError(`sim/display: "columns" expected an integer ≥ 8, got ${o.columns}`);
    this.rows = o.rows;
    this.columns = o.columns;
    this.#lines = new Array<string>(o.rows).fill('');
  }

  show(lines: readonly string[], status: DisplayStatus): void {
    if (lines.length > this.rows) throw new RangeError(`sim/display: "lines" expected at most ${this.rows} rows, got ${lines.length}`);
    if (!statuses.includes(status)) throw new TypeError(`sim/display: unknown status ${String(status)}`);
    for (const line of lines) {
      if (typeof line !== 'string' || !/^[\x20-\x7e]*$/.test(line)) throw new TypeError(`sim/display: line ${JSON.stringify(line)} is not printable ASCII`);
    }
    this.#lines = Array.from({ length: this.rows }, (_, i) => (lines[i] ?? '').slice(0, this.columns));
    this.#status = status;
    this.#frames++;
  }

  /** The rows as shown (clipped, blank rows as ''). */
  get lines(): readonly string[] {
    return this.#lines;
  }

  get status(): DisplayStatus {
    return this.#status;
  }

  /** Screens shown so far. */
  get frames(): number {
    return this.#frames;
  }

  /** All rows joined with newlines (for searching what is on screen). */
  text(): string {
    return this.#lines.join('\n');
  }

  /** The screen as a bordered box, status in the top border. */
  render(): string {
    const label = `[ ${this.#status.toUpperCase()} ]`;
    const top = `+-${label}${'-'.repeat(Math.max(0, this.columns - label.length - 1))}+`;
    const bottom = `+${'-'.repeat(this.columns)}+`;
    return [top, ...this.#lines.map((line) => `|${line.padEnd(this.columns)}|`), bottom].join('\n');
  }
}
