// What the display shows: the screen the pile's state calls for, or a short-lived one shown over
// it (welcome, receipt summary, journal full) until it expires or another replaces it. The
// display is written only when the picture changes.
import type { Clock, Display } from '../../hal/types.ts';
import { type Screen, fitScreen } from './screens.ts';

export class Presenter {
  readonly #display: Display;
  readonly #clock: Clock;
  #overlay: { screen: Screen; untilMs: number } | undefined;
  #shown = '';

  constructor(display: Display, clock: Clock) {
    this.#display = display;
    this.#clock = clock;
  }

  get columns(): number {
    return this.#display.columns;
  }

  /** Show `screen` for `forMs` over whatever the state calls for. */
  showFor(screen: Screen, forMs: number): void {
    this.#overlay = { screen, untilMs: this.#clock.nowMs() + forMs };
  }

  clearOverlay(): void {
    this.#overlay = undefined;
  }

  /** Show the overlay while it lasts, else `base`. */
  render(base: Screen): void {
    if (this.#overlay && this.#clock.nowMs() >= this.#overlay.untilMs) this.#overlay = undefined;
    const screen = fitScreen(this.#overlay?.screen ?? base, this.#display.rows, this.#display.columns);
    const key = `${screen.status}\n${screen.lines.join('\n')}`;
    if (key === this.#shown) return;
    this.#shown = key;
    try {
      this.#display.show(screen.lines, screen.status);
    } catch {
      this.#shown = ''; // a display fault must not stop charging or billing; retry next time
    }
  }
}
