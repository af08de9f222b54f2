// `tapcharge ports [--json]`: the serial ports of this computer (as `serialport` finds them), to
// pick the one a pile is cabled to: path, manufacturer, serial number, USB vendor:product id.
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import { argsError } from './args-error.ts';

const usage = `usage: tapcharge ports [--json]

Lists this computer's serial ports: path, manufacturer, serial number, USB vendor:product id.
A pile's USB console shows up as e.g. /dev/ttyACM0 or /dev/ttyUSB0 (Linux), /dev/cu.usbmodem…
(macOS), COM3 (Windows); give it to tapcharge provision --port and tapcharge pile … --port.`;

type ListedPort = { path: string; manufacturer: string | null; serialNumber: string | null; vendorId: string | null; productId: string | null };

async function listPorts(): Promise<ListedPort[]> {
  const found = await SerialPort.list();
  return found
    .map((p) => ({ path: p.path, manufacturer: p.manufacturer ?? null, serialNumber: p.serialNumber ?? null, vendorId: p.vendorId ?? null, productId: p.productId ?? null }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

function describe(port: ListedPort): string {
  const details = [
    port.manufacturer,
    port.serialNumber && `serial ${port.serialNumber}`,
    port.vendorId && port.productId && `usb ${port.vendorId}:${port.productId}`,
  ].filter(Boolean);
  return details.length === 0 ? port.path : `${port.path}  ${details.join(', ')}`;
}

export async function run(args: string[]): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    throw argsError(error, args, 'ports');
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const ports = await listPorts();
  if (values.json) console.log(JSON.stringify(ports, null, 2));
  else console.log(ports.length === 0 ? 'no serial ports found' : ports.map(describe).join('\n'));
  return 0;
}
