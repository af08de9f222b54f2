// Boot of the pile firmware: mount the journal (never formatting it), read the provisioning
// record, finish the sessions a power loss interrupted, then supervise the charging point and
// answer taps. A pile that cannot do this safely shows a fault, sends −12 V on the pilot (state F)
// and answers no taps at all: nothing billable happens without a journal to hold it.
import type { PileHal } from '../hal/types.ts';
import { PILOT_CONSTANT_MINUS_12V } from '../hal/types.ts';
import { keyId } from '../contracts-offline/keys.ts';
import { nobleEd25519 } from '../contracts-offline/crypto.ts';
import type { Receipt } from '../contracts-offline/messages/receipt.ts';
import { mountJournal } from './journal/mount.ts';
import { BillingBook } from './billing/billing-book.ts';
import { loadProvisioning } from './provisioning/load-provisioning.ts';
import { recoverSessions } from './session/recovery.ts';
import { PileController, type PileSettings, configOf } from './pile-controller.ts';
import { faultScreen, fitScreen } from './display/screens.ts';
import { createNfcApplication } from './nfc/application.ts';
import { NonceBook } from './nfc/nonce-book.ts';
import type { EventSink } from './events/event-log.ts';
import { startPileUplink } from './ocpp/pile-uplink.ts';

export type BootOptions = Partial<PileSettings> & {
  /**
   * The OCPP central system's endpoint without the pile id (ws://HOST:PORT/ocpp/): with a board
   * that has an uplink, the running pile connects there (firmware/ocpp/README.md). A boot option
   * for now; on a device it will come from the pile's configuration.
   */
  uplinkUrl?: string;
  /** Reboots the pile (the runtime's `reboot`), after an OCPP Reset the uplink accepted; absent: Reset is Rejected. */
  reboot?: () => void;
};

export const defaultPileSettings: Readonly<PileSettings> = Object.freeze({
  firmwareVersion: '0.1.0',
  meteringPeriodMs: 1000,
  checkpointPeriodS: 60, // why 60 s: see SessionSettings.checkpointPeriodS
  vehicleIdleS: 30,
  idlePowerW: 50,
  contactorSettleMs: 500,
  messageMs: 60_000,
});

export type PileHandle = {
  /** The running pile (PileServices plus supervision), or undefined when it refused to run. */
  services: PileController | undefined;
  /** Why the pile refused to run. */
  fault: string | undefined;
  /** Receipts finalised at this boot for sessions a power loss interrupted. */
  recovered: Receipt[];
  /** A reader's NFC field is on now (a tap is in progress). */
  tapInProgress(): boolean;
  /** Stop timers and answering taps, release the contactor (the board is going down). */
  shutdown(): void;
};

/** `events`: where the running pile reports faults and session ends (the runtime's event log). */
export function bootPile(hal: PileHal, options: BootOptions = {}, events: EventSink = () => {}): PileHandle {
  const { uplinkUrl, reboot, ...pileOptions } = options;
  const settings: PileSettings = { ...defaultPileSettings, ...pileOptions };
  checkSettings(settings);
  const mounted = mountJournal(hal.flash);
  if (!mounted.ok) return refuseToRun(hal, mounted.code === 'blank' ? 'not provisioned' : mounted.reason);
  const journal = mounted.value;
  const provisioned = loadProvisioning(journal, hal.keyStore);
  if (!provisioned.ok) return refuseToRun(hal, provisioned.reason);
  const book = BillingBook.load(journal, provisioned.value.record.firstBillingSeq);
  if (!book.ok) return refuseToRun(hal, book.reason);
  const signer = {
    kid: keyId(provisioned.value.record.pilePublicKey),
    sign: (message: Uint8Array) => hal.keyStore.sign(message),
    signWhile: (message: Uint8Array, work: () => void) => hal.keyStore.signWhile(message, work),
  };
  const recovered = recoverSessions(journal, book.value, signer);
  if (!recovered.ok) return refuseToRun(hal, recovered.reason);
  const { pileId, relayPublicKey } = provisioned.value.record;
  const controller = new PileController(hal, journal, book.value, { pileId, relayPublicKey, signer }, configOf(provisioned.value.update), settings, events);
  const crypto = hal.crypto ?? nobleEd25519;
  const nonces = new NonceBook(hal.clock, hal.random);
  const nfc = createNfcApplication(controller, { crypto, nonces });
  hal.nfc.setHandler(nfc);
  controller.start();
  const uplink = hal.uplink && uplinkUrl !== undefined ? startPileUplink({ clock: hal.clock, random: hal.random, uplink: hal.uplink }, () => controller.state(), events, {
    centralSystemUrl: uplinkUrl, firmwareVersion: settings.firmwareVersion, identity: { pileId, kid: signer.kid, sign: signer.sign }, statePeriodMs: settings.meteringPeriodMs,
    channel: { services: controller, crypto, nonces, lastGreeting: undefined }, sessionMeter: () => controller.sessionMeter(), ...(reboot && { reboot }),
  }) : undefined;
  return {
    services: controller,
    fault: undefined,
    recovered: recovered.value,
    tapInProgress: () => nfc.tapInProgress,
    shutdown() {
      uplink?.stop();
      controller.stop();
      hal.nfc.setHandler(undefined);
      powerDownOutputs(hal);
    },
  };
}

function refuseToRun(hal: PileHal, reason: string): PileHandle {
  powerDownOutputs(hal);
  try {
    const screen = fitScreen(faultScreen(reason, hal.display.columns), hal.display.rows, hal.display.columns);
    hal.display.show(screen.lines, screen.status);
  } catch {
    // nothing more to do without a display
  }
  hal.nfc.setHandler(undefined);
  return { services: undefined, fault: reason, recovered: [], tapInProgress: () => false, shutdown: () => powerDownOutputs(hal) };
}

function powerDownOutputs(hal: PileHal): void {
  try {
    hal.contactor.setClosed(false);
  } catch {
    // the coil loses power with the board anyway
  }
  try {
    hal.pilot.setDutyPerMille(PILOT_CONSTANT_MINUS_12V);
  } catch {
    // idem
  }
}

function checkSettings(s: PileSettings): void {
  const positive: (keyof PileSettings)[] = ['meteringPeriodMs', 'checkpointPeriodS', 'vehicleIdleS', 'idlePowerW', 'contactorSettleMs', 'messageMs'];
  for (const name of positive) {
    const value = s[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new RangeError(`pile: "${name}" expected a positive integer, got ${String(value)}`);
  }
  if (typeof s.firmwareVersion !== 'string' || s.firmwareVersion.length === 0 || s.firmwareVersion.length > 16) {
    throw new RangeError(`pile: "firmwareVersion" expected 1..16 characters, got ${JSON.stringify(s.firmwareVersion)}`);
  }
}
