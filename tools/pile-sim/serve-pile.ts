// One SIMULATED pile served to phones in other processes (`tapcharge pile serve`): the simulated
// board (hal/sim) running the real firmware (firmware/pile-runtime.ts runPile), its virtual clock
// driven by the wall clock (times `speed`), its NFC field on the TCP bridge (and, with `vpcd`,
// offered to PC/SC software as a contactless card: vpcd-card.ts), its flash partition kept in
// DATA/flash.bin so a restarted pile finds its journal (and its unacknowledged records) again.
// With `consolePath` the board's service port is that tty (a real serial port or one end of a
// pty pair): the pile may start blank ("not provisioned" on its display) and be provisioned,
// serviced and reset through its service console like a real one; its key store then starts
// blank unless DATA/pile-key.json holds a key, and the key its CreateKey makes is saved there
// (the SIMULATED secure element's non-volatile memory). With `uplinkUrl` the board has the host
// uplink (uplink-socket.ts, a real WebSocket) and the firmware connects to that OCPP
// central system (firmware/ocpp/README.md).
import { randomInt, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { type KeyPair, generateKeyPair, keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { KeyStoreSim } from '../../hal/sim/key-store.ts';
import { type SimulatedPile, createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import type { PileHal, ServicePort } from '../../hal/types.ts';
import { WsUplinkSocket } from './uplink-socket.ts';
import type { PileHandle } from '../../firmware/pile.ts';
import { type PileRuntime, runPile } from '../../firmware/pile-runtime.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import type { ProvisioningRecord } from '../../firmware/provisioning/provision-pile.ts';
import { type SerialLink, openSerialLink } from '../console/serial-link.ts';
import { readKeyFile, writeKeyFile } from '../key-file.ts';
import { type PileBridge, startPileBridge } from './bridge-server.ts';
import { writeProvisioningFile } from './provisioning-source.ts';
import { type PileStatus, handleControl, pileStatus } from './vehicle-control.ts';
import { PileSimError } from './errors.ts';
import { type VpcdCard, attachCardToVpcd } from './vpcd-card.ts';

export type ServePileOptions = {
  dataDir: string;
  /** 0 = any free port. */
  port?: number;
  /** Pile id (8 bytes); default: the pile key's id. Only used when provisioning. */
  pileId?: Uint8Array;
  /** Called with the pile key when the journal is blank; answers the record to write (from the relay or a file). */
  provision?: (pileKey: KeyPair, pileId: Uint8Array) => Promise<ProvisioningRecord>;
  /** Serve the pile's service console on this tty; a blank pile then starts instead of being refused. */
  consolePath?: string;
  /** The OCPP central system's endpoint without the pile id (the relay's ws://HOST:PORT/ocpp/): the pile connects there. */
  uplinkUrl?: string;
  /** Also attach the pile's card application to vpcd (pcscd's virtual reader) at this address. */
  vpcd?: { host: string; port: number };
  /** Virtual ms per wall-clock ms. Default 1. */
  speed?: number;
  /** Pump period of the clock, wall-clock ms. Default 100. */
  pumpMs?: number;
  /** Called whenever the display shows a new screen or the vehicle changes. */
  onChange?: (status: PileStatus) => void;
  onLog?: (line: string) => void;
};

export type ServedPile = {
  port: number;
  /** The provisioned pile's id; undefined while it is not running (blank, or refusing to run). */
  readonly pileId: string | undefined;
  pile: SimulatedPile;
  /** The running firmware: read it fresh, a reboot (after provisioning or a reset) replaces it. */
  readonly handle: PileHandle;
  status(): PileStatus;
  close(): Promise<void>;
};

const FLASH_FILE = 'flash.bin';
const KEY_FILE = 'pile-key.json';
const PROVISIONING_FILE = 'provisioning.json';
/** What Identify names the board. */
const BOARD_NAME = 'tapcharge-sim (host)';

/** The board's TRNG: the served pile draws its tap nonces from the OS, not from a seeded simulation. */
const osRandom: PileHal['random'] = { fill: (bytes) => void webcrypto.getRandomValues(bytes) };

function pileKey(dataDir: string): KeyPair {
  const path = join(dataDir, KEY_FILE);
  if (existsSync(path)) return readKeyFile(path);
  const pair = generateKeyPair();
  writeKeyFile(path, pair, false);
  return pair;
}

/** The key store: DATA/pile-key.json's key, or blank with `createKey` drawing from the OS and saving there. */
function keyStoreOf(dataDir: string, key: KeyPair | undefined): KeyStoreSim {
  const path = join(dataDir, KEY_FILE);
  return new KeyStoreSim({
    ...(key && { secretKey: key.secretKey }),
    random: osRandom,
    onKeyCreated: (secretKey) => writeKeyFile(path, keyPairFromSecret(secretKey), false),
  });
}

function saveFlash(dataDir: string, pile: SimulatedPile): void {
  const path = join(dataDir, FLASH_FILE);
  writeFileSync(`${path}.tmp`, pile.flash.contents());
  renameSync(`${path}.tmp`, path);
}

function restoreFlash(dataDir: string, pile: SimulatedPile): boolean {
  const path = join(dataDir, FLASH_FILE);
  if (!existsSync(path)) return false;
  const image = new Uint8Array(readFileSync(path));
  if (image.length !== pile.flash.byteLength) throw new PileSimError('bad-flash-file', `${path} holds ${image.length} bytes; the partition is ${pile.flash.byteLength}`);
  pile.flash.write(image, 0); // an erased partition ANDed with the image is the image
  return true;
}

/** Refuses a port another program holds, by listening on it for a moment. */
function portIsFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new PileSimError('cannot-listen', `port ${port} on 127.0.0.1 is in use (${error.code ?? error.message}): pick another --port, or 0 for any free one`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

export async function servePile(options: ServePileOptions): Promise<ServedPile> {
  const o = { port: 0, speed: 1, pumpMs: 100, onChange: () => {}, onLog: () => {}, ...options };
  if (!Number.isInteger(o.speed) || o.speed < 1 || o.speed > 3600) throw new RangeError(`serve-pile: "speed" expected an integer 1..3600, got ${o.speed}`);
  if (o.port !== 0) await portIsFree(o.port); // before the pile is registered at the relay or its folder made
  // ConsoleLinkError (a missing or busy tty) before anything else too
  const link: SerialLink | undefined = o.consolePath === undefined ? undefined : await openSerialLink(o.consolePath);
  try {
    return await startServing(o, link);
  } catch (error) {
    await link?.close();
    throw error;
  }
}

type Settings = Required<Pick<ServePileOptions, 'port' | 'speed' | 'pumpMs' | 'onChange' | 'onLog'>> & ServePileOptions;

async function startServing(o: Settings, link: SerialLink | undefined): Promise<ServedPile> {
  mkdirSync(o.dataDir, { recursive: true });
  // with a console and nothing to provision from, the key store starts as it was left: blank until CreateKey
  const keyFile = join(o.dataDir, KEY_FILE);
  const key = o.consolePath && !o.provision ? (existsSync(keyFile) ? readKeyFile(keyFile) : undefined) : pileKey(o.dataDir);
  const keyStore = keyStoreOf(o.dataDir, key);
  // the board's key store is `keyStore` (keys from the OS RNG), not the seeded simulation's own
  const pile = createSimulatedPile({ startMs: Date.now(), seed: randomInt(2 ** 31) });
  if (!restoreFlash(o.dataDir, pile)) {
    if (o.provision && key) {
      const record = await o.provision(key, o.pileId ?? key.kid);
      const written = provisionPile(pile.flash, record);
      if (!written.ok) throw new PileSimError('provisioning', written.reason);
      writeProvisioningFile(join(o.dataDir, PROVISIONING_FILE), record);
      saveFlash(o.dataDir, pile);
      o.onLog(`provisioned pile ${bytesToHex(record.pileId)} (relay key ${bytesToHex(record.relayPublicKey).slice(0, 16)}…)`);
    } else if (!o.consolePath) {
      throw new PileSimError('not-provisioned', `the pile in ${o.dataDir} is not provisioned: pass --relay URL --operator-key FILE, or --provisioning FILE`);
    }
  }

  let runtime: PileRuntime | undefined;
  let flashOps = pile.flash.operationCount;
  let frames = -1;
  let plugged = false;
  let booted: PileHandle | undefined;
  const handle = (): PileHandle => runtime!.handle;
  const pileId = (): string | undefined => {
    const services = handle().services;
    return services && bytesToHex(services.pileId);
  };
  const status = (): PileStatus => pileStatus(pile, handle(), pileId() ?? 'not provisioned');
  const settle = (): void => {
    if (!runtime) return;
    if (pile.flash.operationCount !== flashOps) {
      flashOps = pile.flash.operationCount;
      saveFlash(o.dataDir, pile);
    }
    if (handle() !== booted) {
      if (booted) o.onLog(handle().services ? `the pile rebooted: pile ${pileId()} ${handle().services!.state()}` : `the pile rebooted: ${handle().fault}`);
      booted = handle();
    }
    if (pile.display.frames !== frames || (pile.circuit.ev !== undefined) !== plugged) {
      frames = pile.display.frames;
      plugged = pile.circuit.ev !== undefined;
      o.onChange(status());
    }
  };

  link?.onLost((error) => o.onLog(`console: ${error.message}`));
  // every request the console answered may have changed the flash: saved before the next one
  const servicePort: ServicePort | undefined = link && {
    setReceiver: (receiver) => link.setReceiver(receiver && ((bytes) => {
      receiver(bytes);
      settle();
    })),
    write: (bytes) => link.write(bytes),
  };
  const uplink = o.uplinkUrl === undefined ? undefined : new WsUplinkSocket();
  const hal: PileHal = { ...pile.hal, random: osRandom, keyStore, ...(servicePort && { servicePort }), ...(uplink && { uplink }) };
  runtime = runPile(hal, { board: BOARD_NAME, ...(o.uplinkUrl !== undefined && { uplinkUrl: o.uplinkUrl }) });
  if (!runtime.handle.services && !o.consolePath) {
    runtime.shutdown();
    throw new PileSimError('refused-to-run', `the pile refused to run: ${runtime.handle.fault}`);
  }
  for (const receipt of runtime.handle.recovered) o.onLog(`recovered an interrupted session: receipt for contract ${receipt.contractSeq}`);

  let lastWallMs = Date.now();
  const pump = setInterval(() => {
    const now = Date.now();
    pile.clock.advance(Math.max(0, now - lastWallMs) * o.speed);
    lastWallMs = now;
    settle();
  }, o.pumpMs);
  const stop = (): void => {
    clearInterval(pump);
    runtime!.shutdown();
  };

  let bridge: PileBridge;
  try {
    bridge = await startPileBridge({
      field: pile.nfc,
      port: o.port,
      control: (request) => {
        const answer = handleControl(pile, handle(), pileId() ?? 'not provisioned', request, (ms) => pile.clock.advance(ms));
        settle();
        return answer;
      },
      onTapEnd: settle,
      onRefusal: (reason) => o.onLog(`bridge: refused a connection: ${reason}`),
    });
  } catch (error) {
    stop();
    throw new PileSimError('cannot-listen', `cannot listen on 127.0.0.1:${o.port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const card: VpcdCard | undefined = o.vpcd && attachCardToVpcd({ field: pile.nfc, ...o.vpcd, onLog: o.onLog, onTapEnd: settle });
  settle();
  return {
    port: bridge.port,
    get pileId() {
      return pileId();
    },
    pile,
    get handle() {
      return handle();
    },
    status,
    async close() {
      await card?.close();
      await bridge.close();
      stop();
      await link?.close();
      settle();
    },
  };
}
