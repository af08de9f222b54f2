// What a relay call can fail with. The relay answers errors as {"error": code, "message": line}
// (tools/relay/README.md); the phone keeps working offline when the relay cannot be reached.

export class RelayError extends Error {
  /** HTTP status; 0 when no answer came (see RelayUnreachableError). */
  readonly status: number;
  /** The relay's `error` code (e.g. "insufficient-funds"), or "bad-response" / "unreachable". */
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'RelayError';
    this.status = status;
    this.code = code;
  }
}

/** No HTTP answer: connection refused, DNS, timeout. Records stay on the phone for a later sync. */
export class RelayUnreachableError extends RelayError {
  constructor(message: string) {
    super(0, 'unreachable', message);
    this.name = 'RelayUnreachableError';
  }
}
