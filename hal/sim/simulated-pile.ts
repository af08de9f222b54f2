// SIMULATION of a whole pile board: every hal/sim part wired as on the board (grid → meter →
// contactor → connector, control pilot to the vehicle, NFC field to phones), as a `PileHal` for
// the firmware plus the handles a test or the terminal simulator drives (clock, connector, faults,
// the host end of the service port).
import type { PileHal, UplinkSocket } from '../types.ts';
import { ChargingCircuitSim } from './charging-circuit.ts';
import { ContactorSim } from './contactor.ts';
import { DisplaySim } from './display.ts';
import { KeyStoreSim } from './key-store.ts';
import { NfcFieldSim } from './nfc-field.ts';
import { NorFlashSim } from './nor-flash.ts';
import { PilotSim } from './pilot.ts';
import { SeededRandom } from './seeded-random.ts';
import { ServicePortSim } from './service-port.ts';
import { VirtualClock } from './virtual-clock.ts';

export type SimulatedPileOptions = {
  /** The pile's 32-byte Ed25519 secret key (RFC 8032 seed) already in the key store; absent: a blank key store. */
  secretKey?: Uint8Array;
  /** The key store's non-volatile memory: told the secret key `createKey` makes (from the board's RNG), to persist it. */
  onKeyCreated?: (secretKey: Uint8Array) => void;
  /** The board has a USB service port (`hal.servicePort`, host connected). Default false. */
  servicePort?: boolean;
  /** Seed of the RNG and of the flash's torn-write pattern. Default 1. */
  seed?: number;
  /** Epoch ms the virtual clock starts at. */
  startMs?: number;
  /** Journal partition size (a board setting). Default 64 KiB. */
  flashByteLength?: number;
  /** Meter register at start, Wh. */
  meterEnergyWh?: number;
  /** The meter's serial number. Default `EnergyMeterSim`'s. */
  meterSerialNumber?: number;
  /** Contactor actuation delay, ms. Default 0. */
  contactorActuationMs?: number;
  displayRows?: number;
  displayColumns?: number;
  /** The board's uplink module (`hal.uplink`): a networked pile. Absent: an offline pile. */
  uplink?: UplinkSocket;
};

export type SimulatedPile = {
  hal: PileHal;
  clock: VirtualClock;
  flash: NorFlashSim;
  contactor: ContactorSim;
  pilot: PilotSim;
  /** The connector: `plug(ev)` / `unplug()`, and the meter. */
  circuit: ChargingCircuitSim;
  display: DisplaySim;
  nfc: NfcFieldSim;
  keyStore: KeyStoreSim;
  /** Present when `servicePort` was asked for; `servicePort.host` is the computer's end. */
  servicePort: ServicePortSim | undefined;
};

export function createSimulatedPile(options: SimulatedPileOptions = {}): SimulatedPile {
  const seed = options.seed ?? 1;
  const clock = new VirtualClock(options.startMs === undefined ? {} : { startMs: options.startMs });
  const flash = new NorFlashSim({ byteLength: options.flashByteLength ?? 64 * 1024, seed });
  const contactor = new ContactorSim({ clock, actuationMs: options.contactorActuationMs ?? 0 });
  const pilot = new PilotSim();
  const circuit = new ChargingCircuitSim({ clock, contactor, pilot, meterEnergyWh: options.meterEnergyWh ?? 0, meterSerialNumber: options.meterSerialNumber });
  const display = new DisplaySim({ rows: options.displayRows ?? 6, columns: options.displayColumns ?? 24 });
  const nfc = new NfcFieldSim();
  const random = new SeededRandom(seed);
  const keyStore = new KeyStoreSim({ secretKey: options.secretKey, random, onKeyCreated: options.onKeyCreated });
  const servicePort = options.servicePort ? new ServicePortSim({ clock }) : undefined;
  const hal: PileHal = { clock, flash, contactor, pilot, meter: circuit.meter, display, nfc, keyStore, random, ...(servicePort ? { servicePort } : {}), ...(options.uplink && { uplink: options.uplink }) };
  return { hal, clock, flash, contactor, pilot, circuit, display, nfc, keyStore, servicePort };
}
