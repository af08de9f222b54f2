// `tapcharge pile …`: a technician's errands on a pile's service console over its serial port
// (pile-console.ts); and serve one SIMULATED pile (simulated board + the real firmware) to phones
// over the TCP bridge (and, with --vpcd, to PC/SC software through pcscd's virtual reader; with
// --console, its service console on a tty), and drive its simulated vehicle and clock from another
// terminal.
import { parseArgs } from 'node:util';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { RelayError } from '../phone/errors.ts';
import { parsePileAddress, sendPileControl } from '../phone/tcp-transport.ts';
import { PileLinkError } from '../phone/errors.ts';
import { provisioningFromRelay, readProvisioningFile } from '../pile-sim/provisioning-source.ts';
import { type ServePileOptions, servePile } from '../pile-sim/serve-pile.ts';
import { VPCD_DEFAULT_PORT } from '../pile-sim/vpcd-card.ts';
import { TerminalView } from '../pile-sim/terminal-view.ts';
import { type PileStatus, defaultVehicle } from '../pile-sim/vehicle-control.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';
import { dataFolder } from './cli-files.ts';
import { readKeyFile } from '../key-file.ts';
import { PileSimError } from '../pile-sim/errors.ts';
import { withOptionalValue } from './optional-value.ts';
import { consoleCommands } from './pile-console.ts';
import { ConsoleLinkError } from '../console/errors.ts';

const usage = `usage: tapcharge pile <command> [options]

a pile on a serial port (its USB service console; PORT as tapcharge ports lists it):
  status --port PORT [--json]             identity, state, journal, unacknowledged records, meter, faults
  logs --port PORT [--after SEQ] [--json] the pile's event log (since power-on)
  selftest --port PORT [--json]           contactor, pilot, meter, NFC, secure element (exit 1 if a part fails)
  clock --port PORT [--json]              the pile's clock, and how far it is from this computer's
  clock --port PORT --set now|ISO-TIME --relay URL [--operator-key FILE]
                                          set it (the relay authorises this console session)
  factory-reset --port PORT --relay URL [--operator-key FILE]
                                          erase the journal and provisioning (refused while any billing
                                          record is unacknowledged); the pile's key stays
  --operator-key defaults to ./data/operator-key.json. To provision a pile: tapcharge provision.

a simulated pile:
  serve [--data DIR] [--port N] [--speed N] [--plugged] [--vpcd [HOST:PORT]] [--console TTY] [--uplink URL] PROVISIONING
        run one simulated pile (real firmware on the simulated board) until Ctrl-C; phones tap it
        with: tapcharge phone tap --pile 127.0.0.1:PORT
        --uplink: connect the pile to that OCPP 1.6J central system, the relay's endpoint as
        tapcharge relay start prints it (ws://HOST:PORT/ocpp/); the pile adds its own id; see
        tapcharge operator uplinks
        --vpcd: also offer its card to PC/SC software as a contactless card in pcscd's virtual
        reader "Virtual PCD 00 00" (vsmartcard's vpcd, default 127.0.0.1:35963; reconnects until
        vpcd is up); then e.g. opensc-tool -r 0 -a, or tapcharge phone tap --pcsc
  plug --pile HOST:PORT [--battery-wh N] [--soc-per-mille N] [--max-current-ma N]
  unplug --pile HOST:PORT                 pull the plug (any time: an abnormal end while charging)
  vehicle --pile HOST:PORT --wants-charge yes|no   the EV stops (or resumes) drawing power
  advance --pile HOST:PORT --seconds N    move the pile's clock forward (charging goes on meanwhile);
                                          the pile then runs ahead of the relay's clock, which it does
                                          not mind; a voucher lives 15 minutes of pile time from tap 1
  status --pile HOST:PORT                 what the pile shows and does

--console TTY: the pile's service console on that tty (a serial port, or one end of a pty pair such
as socat makes); a blank pile then starts ("not provisioned") for tapcharge provision --port on the
other end; its key store is DIR/pile-key.json once its key is made.
PROVISIONING (only for a new data folder; DIR/flash.bin keeps the journal across restarts):
  --relay URL --operator-key FILE [--pile-id HEX] [--label L] [--max-power-w N]
      [--energy-price N] [--time-price N] [--session-fee N] [--operator NAME]
                                           register the pile at the relay (POST /v1/piles)
  --provisioning FILE                      or write a provisioning answer saved before
--data defaults to ./pile-data; --port 0 picks a free port (printed); --speed N runs the clock N× faster.`;

const options = {
  data: { type: 'string' },
  port: { type: 'string' },
  speed: { type: 'string' },
  plugged: { type: 'boolean' },
  relay: { type: 'string' },
  'operator-key': { type: 'string' },
  'pile-id': { type: 'string' },
  label: { type: 'string' },
  'max-power-w': { type: 'string' },
  'energy-price': { type: 'string' },
  'time-price': { type: 'string' },
  'session-fee': { type: 'string' },
  operator: { type: 'string' },
  provisioning: { type: 'string' },
  pile: { type: 'string' },
  'battery-wh': { type: 'string' },
  'soc-per-mille': { type: 'string' },
  'max-current-ma': { type: 'string' },
  'wants-charge': { type: 'string' },
  seconds: { type: 'string' },
  vpcd: { type: 'string' },
  console: { type: 'string' },
  uplink: { type: 'string' },
  json: { type: 'boolean' },
  after: { type: 'string' },
  set: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = { [K in keyof typeof options]?: (typeof options)[K]['type'] extends 'boolean' ? boolean : string };

const allowed: Record<string, readonly (keyof Values)[]> = {
  serve: ['data', 'port', 'speed', 'plugged', 'vpcd', 'console', 'uplink', 'relay', 'operator-key', 'pile-id', 'label', 'max-power-w', 'energy-price', 'time-price', 'session-fee', 'operator', 'provisioning'],
  plug: ['pile', 'battery-wh', 'soc-per-mille', 'max-current-ma'],
  unplug: ['pile'],
  vehicle: ['pile', 'wants-charge'],
  advance: ['pile', 'seconds'],
  status: ['pile', 'port', 'json'],
  logs: ['port', 'after', 'json'],
  selftest: ['port', 'json'],
  clock: ['port', 'set', 'relay', 'operator-key', 'json'],
  'factory-reset': ['port', 'relay', 'operator-key', 'json'],
};

function integer(text: string | undefined, flag: string, min: number, max: number, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new CliError(`--${flag} N is required`, 2);
    return fallback;
  }
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) < min || Number(text) > max) throw new CliError(`--${flag} expected a whole number ${min}..${max}, got "${text}"`, 2);
  return Number(text);
}

function provisioningOf(v: Values): ServePileOptions['provision'] {
  if (v.provisioning && v.relay) throw new CliError('give either --provisioning FILE or --relay URL, not both', 2);
  if (v.provisioning) {
    const path = v.provisioning;
    return async (key) => readProvisioningFile(path, key);
  }
  if (!v.relay) return undefined;
  if (!/^https?:\/\/[^/?#]+\/?$/.test(v.relay)) throw new CliError(`--relay expected http://HOST:PORT, got "${v.relay}"`, 2);
  if (!v['operator-key']) throw new CliError('--relay needs --operator-key FILE (the relay writes DATA/operator-key.json)', 2);
  let pileId: Uint8Array | undefined;
  if (v['pile-id'] !== undefined) {
    if (!/^[0-9a-f]{16}$/.test(v['pile-id'])) throw new CliError(`--pile-id expected 16 lowercase hex digits, got "${v['pile-id']}"`, 2);
    pileId = hexToBytes(v['pile-id']);
  }
  const operatorKey = readKeyFile(v['operator-key']);
  const relayUrl = v.relay;
  const tariff = {
    energyMinorPerKwh: integer(v['energy-price'], 'energy-price', 0, 10_000_000, 35),
    timeMinorPerHour: integer(v['time-price'], 'time-price', 0, 10_000_000, 0),
    sessionFeeMinor: integer(v['session-fee'], 'session-fee', 0, 10_000_000, 0),
  };
  const maxPowerW = integer(v['max-power-w'], 'max-power-w', 1, 1_000_000, 7400);
  return (pileKey, defaultId) => provisioningFromRelay({
    relayUrl, operatorKey, pileKey, pileId: pileId ?? defaultId, operator: v.operator ?? 'tapcharge-sim', label: v.label ?? `Sim pile ${bytesToHex(pileId ?? defaultId).slice(0, 4)}`, maxPowerW, tariff,
  });
}

function vpcdAddress(text: string | undefined): ServePileOptions['vpcd'] {
  if (text === undefined) return undefined;
  if (text === '') return { host: '127.0.0.1', port: VPCD_DEFAULT_PORT };
  try {
    return parsePileAddress(text);
  } catch {
    throw new CliError(`--vpcd expected HOST:PORT (vpcd's port, default 35963), got "${text}"`, 2);
  }
}

/** The central system's endpoint without a pile id: the pile appends its own. */
function uplinkUrlOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^wss?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(text)) throw new CliError(`--uplink expected ws://HOST:PORT/ocpp/ (or wss://), got "${text}"`, 2);
  if (/\/[0-9a-fA-F]{16}\/?$/.test(text)) throw new CliError(`--uplink expected the endpoint without a pile id (the pile adds its own), got "${text}"`, 2);
  return text;
}

async function serve(v: Values): Promise<number> {
  const port = integer(v.port, 'port', 0, 65535, 7800);
  const speed = integer(v.speed, 'speed', 1, 3600, 1);
  const vpcd = vpcdAddress(v.vpcd);
  const uplinkUrl = uplinkUrlOf(v.uplink);
  const dataDir = v.data ?? 'pile-data';
  dataFolder('--data', dataDir);
  const provision = provisioningOf(v);
  let view: TerminalView | undefined;
  const early: PileStatus[] = [];
  let served;
  try {
    served = await servePile({
      dataDir, port, speed, ...(provision && { provision }), ...(vpcd && { vpcd }), ...(v.console !== undefined && { consolePath: v.console }),
      ...(uplinkUrl !== undefined && { uplinkUrl }),
      onChange: (status) => (view ? view.show(status) : early.push(status)),
      onLog: (line) => (view ? view.log(line) : process.stdout.write(`${line}\n`)),
    });
  } catch (error) {
    if (error instanceof ConsoleLinkError) throw new CliError(`--console: ${error.message}`);
    throw error;
  }
  const header = `pile ${served.pileId ?? '(not provisioned)'} listening on 127.0.0.1:${served.port} (data ${dataDir}${speed > 1 ? `, clock ×${speed}` : ''})${vpcd ? `, card for vpcd ${vpcd.host}:${vpcd.port}` : ''}${v.console !== undefined ? `, console on ${v.console}` : ''}${uplinkUrl !== undefined ? `, OCPP uplink to ${uplinkUrl}` : ''}`;
  process.stdout.write(`${header}\n`);
  view = new TerminalView(process.stdout, served.pile.display, header);
  for (const status of early.slice(-1)) view.show(status);
  if (v.plugged) await sendPileControl({ host: '127.0.0.1', port: served.port }, { op: 'plug', ...defaultVehicle });
  const done = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (process.stdin.isTTY) listenToKeys(served.port, stop, (line) => view?.log(line));
  });
  await done;
  await served.close();
  process.stdout.write(`pile ${served.pileId ?? '(not provisioned)'} stopped; journal kept in ${dataDir}/flash.bin\n`);
  return 0;
}

function listenToKeys(port: number, quit: () => void, log: (line: string) => void): void {
  const keyOps: Record<string, Record<string, unknown>> = { p: { op: 'plug', ...defaultVehicle }, u: { op: 'unplug' }, s: { op: 'vehicle', wantsCharge: false } };
  process.stdin.setRawMode(true);
  process.stdin.resume();
  process.stdin.on('data', (chunk: Buffer) => {
    const key = chunk.toString('utf8');
    if (key === 'q' || key === '\u0003') {
      process.stdin.setRawMode(false);
      process.stdin.pause();
      return quit();
    }
    const request = keyOps[key];
    if (request) sendPileControl({ host: '127.0.0.1', port }, request).then(() => log(`${String(request.op)} done`), (error: Error) => log(error.message));
  });
}

async function remote(name: string, v: Values): Promise<number> {
  if (!v.pile) throw new CliError(name === 'status' ? 'pile status needs --port PORT (a pile\'s serial console) or --pile HOST:PORT (a served pile\'s bridge)' : '--pile HOST:PORT is required', 2);
  let address;
  try {
    address = parsePileAddress(v.pile);
  } catch (error) {
    throw new CliError(`--pile: ${(error as Error).message.replace(/^tcp-transport: /, '')}`, 2);
  }
  let request: Record<string, unknown>;
  switch (name) {
    case 'plug':
      request = {
        op: 'plug',
        batteryWh: integer(v['battery-wh'], 'battery-wh', 1, 1_000_000, defaultVehicle.batteryWh),
        stateOfChargePerMille: integer(v['soc-per-mille'], 'soc-per-mille', 0, 1000, defaultVehicle.stateOfChargePerMille),
        maxCurrentMa: integer(v['max-current-ma'], 'max-current-ma', 1, 500_000, defaultVehicle.maxCurrentMa),
      };
      break;
    case 'vehicle':
      if (v['wants-charge'] !== 'yes' && v['wants-charge'] !== 'no') throw new CliError('--wants-charge expected yes or no', 2);
      request = { op: 'vehicle', wantsCharge: v['wants-charge'] === 'yes' };
      break;
    case 'advance':
      request = { op: 'advance', ms: integer(v.seconds, 'seconds', 0, 86_400) * 1000 };
      break;
    default:
      request = { op: name };
  }
  const status = (await sendPileControl(address, request)) as PileStatus;
  console.log(`${status.pileId} ${status.state}${status.plugged ? `, EV plugged (${status.vehicleStoredWh} Wh)` : ', no vehicle'}, meter ${status.meterEnergyWh} Wh, contactor ${status.contactorClosed ? 'closed' : 'open'}`);
  for (const line of status.display) if (line) console.log(`  | ${line}`);
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage);
    return name === undefined ? 2 : 0;
  }
  if (!(name in allowed)) throw new CliError(`unknown pile command "${name}" (try: tapcharge pile --help)`, 2);
  let values: Values;
  try {
    ({ values } = parseArgs({ args: withOptionalValue(rest, '--vpcd'), options, strict: true, allowPositionals: false }) as { values: Values });
  } catch (error) {
    throw argsError(error, rest, 'pile');
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const stray = (Object.keys(values) as (keyof Values)[]).find((k) => !allowed[name]!.includes(k));
  if (stray) throw new CliError(`pile ${name} does not take --${stray}`, 2);
  const onConsole = name in consoleCommands && (name !== 'status' || values.port !== undefined);
  if (name === 'status' && values.port !== undefined && values.pile !== undefined) throw new CliError('pile status takes --port PORT (a pile\'s console) or --pile HOST:PORT (a served pile\'s bridge), not both', 2);
  try {
    return name === 'serve' ? await serve(values) : onConsole ? await consoleCommands[name]!(values) : await remote(name, values);
  } catch (error) {
    if (error instanceof PileSimError || error instanceof RelayError || error instanceof PileLinkError) throw new CliError(error.message);
    throw error;
  }
}
