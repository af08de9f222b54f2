// Server-Sent Events as the relay writes them (text/event-stream, WHATWG HTML §9.2.6 "Interpreting
// an event stream"): lines end in LF, CRLF or CR; `event:` names the event, `data:` lines are
// joined with LF, a line starting with ":" is a comment, a blank line dispatches. `id:` and
// `retry:` are read and not used (the phone opens a new stream itself). Untrusted text: a line or
// an event's data past EVENT_MAX_CHARS is an error, and every event is checked against the API's
// ChannelEventData before the phone believes it.
import { checkJson } from '../relay-api/explain.ts';
import { type ChannelEvent, ChannelEventData, type ChannelEventName } from '../relay-api/routes.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';

/** Longest line, and longest data of one event, in characters (the relay's largest, `ended`, is under 1 KiB). */
export const EVENT_MAX_CHARS = 16 * 1024;

export type RawEvent = { event: string; data: string };

export class EventStreamReader {
  #pending = '';
  #event = '';
  #data: string[] = [];
  #dataChars = 0;

  /** The events completed by `text` (the next piece of the stream); throws RangeError past the bounds. */
  push(text: string): RawEvent[] {
    this.#pending += text;
    const events: RawEvent[] = [];
    for (;;) {
      const end = this.#pending.search(/\r\n|\r|\n/);
      // a CR last may be the first half of a CRLF: wait for the next piece
      if (end < 0 || (end === this.#pending.length - 1 && this.#pending[end] === '\r')) break;
      const line = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(this.#pending.startsWith('\r\n', end) ? end + 2 : end + 1);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    if (this.#pending.length > EVENT_MAX_CHARS) throw new RangeError(`event stream: a line is longer than ${EVENT_MAX_CHARS} characters`);
    return events;
  }

  #line(line: string): RawEvent | undefined {
    if (line === '') {
      const event = this.#data.length > 0 ? { event: this.#event || 'message', data: this.#data.join('\n') } : undefined;
      this.#event = '';
      this.#data = [];
      this.#dataChars = 0;
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
    if (field === 'event') this.#event = value;
    if (field === 'data') {
      this.#dataChars += value.length + 1;
      if (this.#dataChars > EVENT_MAX_CHARS) throw new RangeError(`event stream: an event's data is longer than ${EVENT_MAX_CHARS} characters`);
      this.#data.push(value);
    }
    return undefined;
  }
}

/** A raw event as a channel event, checked; 'unknown' for an event name this phone does not know (a newer relay's). */
export function checkChannelEvent(raw: RawEvent): Result<ChannelEvent> | 'unknown' {
  if (!Object.hasOwn(ChannelEventData, raw.event)) return 'unknown';
  const name = raw.event as ChannelEventName;
  let json: unknown;
  try {
    json = JSON.parse(raw.data);
  } catch {
    return fail('malformed', `"${name}" event data is not JSON`);
  }
  const checked = checkJson(ChannelEventData[name], json, name);
  return checked.ok ? ok({ event: name, data: checked.value } as ChannelEvent) : fail('malformed', checked.reason);
}
