// What the CLI reads and writes, checked before anything happens: untrusted input files read with
// a bound (a device such as /dev/zero or an endless pipe stops at it), data folders that must be
// folders, output files whose folder exists. Every refusal is a CliError: one line, exit 2 for a
// usage mistake, 1 for a file that cannot be read.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './cli-error.ts';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** At most `maxBytes` of `path` ('-' is stdin); a longer input is refused without reading past the bound. */
export function readBounded(path: string, maxBytes: number): Uint8Array {
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      let got: number;
      try {
        got = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(pause, 0, 0, 10); // a non-blocking stdin with nothing yet: wait, do not spin
          continue;
        }
        throw new CliError(`cannot read ${path}: ${code ?? String(error)}`);
      }
      if (got === 0) break;
      length += got;
    }
    if (length > maxBytes) throw new CliError(`${path}: more than ${maxBytes} bytes, too large for this input`);
    return new Uint8Array(buffer.subarray(0, length));
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** A data folder option: absent (it will be created) or a folder, never a file. */
export function dataFolder(flag: string, given: string): string {
  const dir = resolve(given);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`${flag} ${given}: not a folder`, 2);
  return dir;
}

/** An output file option: not a folder, in a folder that exists. Checked before any side effect. */
export function outputFile(flag: string, given: string): string {
  const path = resolve(given);
  if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(`${flag} ${given}: is a folder, give a file name`, 2);
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new CliError(`${flag} ${given}: no folder ${parent}`, 2);
  return path;
}
