// Globals that test code expects and xsnap lacks, installed before any bundled code runs.
// `crypto.getRandomValues` here is DETERMINISTIC (a fixed-seed xorshift32 stream): fine for
// tests and benchmarks, which want reproducible runs; never a source of keys for real use.
declare function print(...values: unknown[]): void;

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}${value.stack ? `\n${value.stack}` : ''}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    } catch {
      return String(value);
    }
  }
  return String(value);
}

const log = (...values: unknown[]): void => print(values.map(show).join(' '));
const globals = globalThis as Record<string, unknown>;

if (globals.console === undefined) {
  globals.console = { log, info: log, warn: log, error: log, debug: log };
}

if (globals.crypto === undefined) {
  let seed = 0x2545f491;
  const maxBytes = 65536; // the Web Crypto quota per call
  globals.crypto = {
    getRandomValues<T extends ArrayBufferView>(view: T): T {
      if (!(view instanceof Int8Array || view instanceof Uint8Array || view instanceof Uint8ClampedArray ||
        view instanceof Int16Array || view instanceof Uint16Array || view instanceof Int32Array ||
        view instanceof Uint32Array || view instanceof BigInt64Array || view instanceof BigUint64Array)) {
        throw new TypeError('xs prelude: getRandomValues expects an integer typed array');
      }
      if (view.byteLength > maxBytes) throw new RangeError(`xs prelude: getRandomValues at most ${maxBytes} bytes, got ${view.byteLength}`);
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      for (let i = 0; i < bytes.length; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        bytes[i] = seed & 0xff;
      }
      return view;
    },
  };
}
