// One SIMULATED pile served to phones in other processes (`tapcharge pile serve`): the simulated
// board (hal/sim) running the real firmware (firmware/pile.ts bootPile), its virtual clock driven
// by the wall clock (times `speed`), its NFC field on the TCP bridge (and, with `vpcd`, offered to
// PC/SC software as a contactless card: vpcd-card.ts), and its flash partition kept in
// DATA/flash.bin so a restarted pile finds its journal (and its unacknowledged records) again.
import { randomInt, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import { type SimulatedPile, createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import type { PileHal } from '../../hal/types.ts';
import { type PileHandle, bootPile } from '../../firmware/pile.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import type { ProvisioningRecord } from '../../firmware/provisioning/provision-pile.ts';
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
  pileId: string;
  pile: SimulatedPile;
  handle: PileHandle;
  status(): PileStatus;
  close(): Promise<void>;
};

const FLASH_FILE = 'flash.bin';
const KEY_FILE = 'pile-key.json';
const PROVISIONING_FILE = 'provisioning.json';

/** The board's TRNG: the served pile draws its tap nonces from the OS, not from a seeded simulation. */
const osRandom: PileHal['random'] = { fill: (bytes) => void webcrypto.getRandomValues(bytes) };

function pileKey(dataDir: string): KeyPair {
  const path = join(dataDir, KEY_FILE);
  if (existsSync(path)) return readKeyFile(path);
  const pair = generateKeyPair();
  writeKeyFile(path, pair, false);
  return pair;
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
  mkdirSync(o.dataDir, { recursive: true });
  const key = pileKey(o.dataDir);
  const pile = createSimulatedPile({ secretKey: key.secretKey, startMs: Date.now(), seed: randomInt(2 ** 31) });
  if (!restoreFlash(o.dataDir, pile)) {
    if (!o.provision) throw new PileSimError('not-provisioned', `the pile in ${o.dataDir} is not provisioned: pass --relay URL --operator-key FILE, or --provisioning FILE`);
    const record = await o.provision(key, o.pileId ?? key.kid);
    const written = provisionPile(pile.flash, record);
    if (!written.ok) throw new PileSimError('provisioning', written.reason);
    writeProvisioningFile(join(o.dataDir, PROVISIONING_FILE), record);
    saveFlash(o.dataDir, pile);
    o.onLog(`provisioned pile ${bytesToHex(record.pileId)} (relay key ${bytesToHex(record.relayPublicKey).slice(0, 16)}…)`);
  }
  const handle = bootPile({ ...pile.hal, random: osRandom });
  if (!handle.services) throw new PileSimError('refused-to-run', `the pile refused to run: ${handle.fault}`);
  const pileId = bytesToHex(handle.services.pileId);
  for (const receipt of handle.recovered) o.onLog(`recovered an interrupted session: receipt for contract ${receipt.contractSeq}`);

  let flashOps = pile.flash.operationCount;
  let frames = -1;
  let plugged = false;
  const status = (): PileStatus => pileStatus(pile, handle, pileId);
  const settle = (): void => {
    if (pile.flash.operationCount !== flashOps) {
      flashOps = pile.flash.operationCount;
      saveFlash(o.dataDir, pile);
    }
    if (pile.display.frames !== frames || (pile.circuit.ev !== undefined) !== plugged) {
      frames = pile.display.frames;
      plugged = pile.circuit.ev !== undefined;
      o.onChange(status());
    }
  };
  let lastWallMs = Date.now();
  const pump = setInterval(() => {
    const now = Date.now();
    pile.clock.advance(Math.max(0, now - lastWallMs) * o.speed);
    lastWallMs = now;
    settle();
  }, o.pumpMs);

  let bridge: PileBridge;
  try {
    bridge = await startPileBridge({
      field: pile.nfc,
      port: o.port,
      control: (request) => {
        const answer = handleControl(pile, handle, pileId, request, (ms) => pile.clock.advance(ms));
        settle();
        return answer;
      },
      onTapEnd: settle,
      onRefusal: (reason) => o.onLog(`bridge: refused a connection: ${reason}`),
    });
  } catch (error) {
    clearInterval(pump);
    handle.shutdown();
    throw new PileSimError('cannot-listen', `cannot listen on 127.0.0.1:${o.port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const card: VpcdCard | undefined = o.vpcd && attachCardToVpcd({ field: pile.nfc, ...o.vpcd, onLog: o.onLog, onTapEnd: settle });
  settle();
  return {
    port: bridge.port,
    pileId,
    pile,
    handle,
    status,
    async close() {
      clearInterval(pump);
      await card?.close();
      await bridge.close();
      handle.shutdown();
      settle();
    },
  };
}
