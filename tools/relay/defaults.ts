// Where a relay listens unless told otherwise (127.0.0.1 only).
export const RELAY_HOST = '127.0.0.1';
export const DEFAULT_RELAY_PORT = 8787;
