// A serial port opened with `serialport` for the service console: 115200 baud, 8N1, an exclusive
// lock, raw bytes both ways (the console frames them). Shaped as hal/types `ServicePort`
// (setReceiver + write), so the host pile serves its console on one too. Every refusal of the
// operating system becomes a ConsoleLinkError saying what to do.
import { statSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { ConsoleLinkError } from './errors.ts';

export const CONSOLE_BAUD_RATE = 115_200;

export type SerialLink = {
  readonly path: string;
  /** Register the receiver of arriving bytes (replacing any previous one); `undefined` stops receiving. */
  setReceiver(receiver: ((bytes: Uint8Array) => void) | undefined): void;
  /** Queue `bytes`; throws ConsoleLinkError 'link-lost' once the port is closed. */
  write(bytes: Uint8Array): void;
  /** Register the listener called once if the port closes by itself (unplugged, write failure). */
  onLost(listener: (error: ConsoleLinkError) => void): void;
  close(): Promise<void>;
};

/** The native binding reports errno only as strerror text ("Error: No such file or directory, cannot open …"). */
function openRefusal(path: string, message: string): ConsoleLinkError {
  if (/No such file or directory/.test(message)) return new ConsoleLinkError('no-such-port', `no such port ${path}: see \`tapcharge ports\``);
  if (/Cannot lock port|Resource temporarily unavailable|Device or resource busy/.test(message)) return new ConsoleLinkError('port-busy', `port ${path} is in use by another program (close it, then try again)`);
  if (/Permission denied|Operation not permitted/.test(message)) return new ConsoleLinkError('permission-denied', `permission denied opening ${path} (on Linux: add yourself to the dialout group, then log in again)`);
  if (/Inappropriate ioctl/.test(message)) return new ConsoleLinkError('not-a-serial-port', `${path} is not a serial port: see \`tapcharge ports\``);
  return new ConsoleLinkError('cannot-open', `cannot open ${path}: ${message.replace(/^Error:? /, '')}`);
}

function checkDevice(path: string): void {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw openRefusal(path, 'No such file or directory');
    throw openRefusal(path, code ?? String(error));
  }
  if (!stat.isCharacterDevice()) throw openRefusal(path, 'Inappropriate ioctl');
}

export async function openSerialLink(path: string): Promise<SerialLink> {
  checkDevice(path);
  const port = new SerialPort({ path, baudRate: CONSOLE_BAUD_RATE, dataBits: 8, stopBits: 1, parity: 'none', lock: true, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(openRefusal(path, error.message)) : resolve())));

  let receiver: ((bytes: Uint8Array) => void) | undefined;
  let lostListener: ((error: ConsoleLinkError) => void) | undefined;
  let closing = false;
  let lost: ConsoleLinkError | undefined;
  const loseLink = (why: string): void => {
    if (closing || lost) return;
    lost = new ConsoleLinkError('link-lost', `the link to ${path} was lost (${why})`);
    lostListener?.(lost);
  };
  port.on('data', (chunk: Buffer) => receiver?.(Uint8Array.from(chunk)));
  port.on('error', (error: Error) => loseLink(error.message));
  port.on('close', () => loseLink('the port closed'));

  return {
    path,
    setReceiver(next) {
      receiver = next;
    },
    write(bytes) {
      if (lost) throw lost;
      if (closing) throw new ConsoleLinkError('link-lost', `${path} is closed`);
      port.write(Buffer.from(bytes), (error) => {
        if (error) loseLink(error.message);
      });
    },
    onLost(listener) {
      lostListener = listener;
      if (lost) listener(lost);
    },
    close() {
      if (closing) return Promise.resolve();
      closing = true;
      receiver = undefined;
      if (!port.isOpen) return Promise.resolve();
      // drain first: a console answer written just before close still leaves the port
      return new Promise((resolve) => port.drain(() => port.close(() => resolve())));
    },
  };
}
