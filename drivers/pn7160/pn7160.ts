// NXP PN7160 NFC controller as the pile's contactless card: ISO-DEP card emulation on NFC-A (the
// phone is the reader, design §6), driven in NCI 2.0 over I2C.
// Documents: NFC Forum NCI Technical Specification 2.0 (messages, the RF state machine RFST_IDLE /
// RFST_DISCOVERY / RFST_LISTEN_ACTIVE / RFST_LISTEN_SLEEP, data flow control with credits); NXP
// UM11495, PN7160 user manual, host interface — as UM10936 §3.1–3.5 for the PN7150: I2C address
// 0x28–0x2B set by the I2C_ADDR pins, one NCI packet per write, IRQ high while the controller holds
// a message for the host and low once its last byte has been read, the header may be read before
// the payload ("split mode"), and the host must not write while IRQ is high; PN7160 data sheet:
// VEN (low: powered down, rising: boot) and IRQ (active high) pins.
//
// The constructor and `configure` reset the chip with VEN and set it up: CORE_RESET (configuration
// reset), CORE_INIT (NCI 2.0), CORE_SET_CONFIG (LA_SEL_INFO announces ISO-DEP), RF_DISCOVER_MAP
// (ISO-DEP → ISO-DEP interface in listen mode: the controller does ISO 14443-4 itself),
// RF_SET_LISTEN_MODE_ROUTING (ISO-DEP → the host). Listen discovery (RF_DISCOVER, NFC-A passive
// listen) runs while a handler is registered. A tap is RF_INTF_ACTIVATED_NTF → onFieldOn; data
// packets on the static RF connection, reassembled → onApdu; its answer in packets of at most the
// size the activation announced, each sent on a credit (CORE_CONN_CREDITS_NTF returns them); and
// RF_DEACTIVATE_NTF → onFieldOff, once per tap. `selfTest` (self-test.ts) reads the set-up back
// with CORE_GET_CONFIG, outside a tap, without leaving listen discovery.
//
// The controller's bytes are not trusted: a packet cut short, malformed or out of place is dropped,
// counted in `faults` and reported through `onError`, and the exchange it belonged to is abandoned;
// nothing but a whole, well-formed command APDU reaches onApdu. A controller that resets itself, an
// IRQ that stays high with nothing valid to read, or a command left unanswered ends the tap and
// sets the chip up again from VEN. Only the handler's own contract breaches throw.
import { isCommandApdu, maxShortCommandBytes, maxShortResponseBytes } from './apdu.ts';
import {
  DeactivationType, RfInterface, RfProtocol, ResetTrigger, ResetType, Status, TechMode, commands, noFlowControl,
  parseActivation, parseCredits, parseDeactivation, parseInitResponse, parseResetNotification,
} from './messages.ts';
import { type ControlType, CoreOid, type DataPacket, Gid, type Packet, RfOid, controlPacket, dataPackets, decodePacket, headerLength, hex, staticRfConnection } from './nci.ts';
import { type ControllerIdentity, getLaSelInfo, selfTestReport } from './self-test.ts';

/** The part of ECMA-419 `embedded:io/i2c` this driver uses. */
export interface I2cIo {
  write(buffer: ArrayBuffer, stop?: boolean): void;
  read(byteLength: number, stop?: boolean): ArrayBuffer;
  close?(): void;
}
export type I2cIoClass = new (options: { data: number; clock: number; hz: number; address: number }) => I2cIo;

/** The part of ECMA-419 `embedded:io/digital` this driver uses (an input with an edge callback, an output). */
export interface DigitalIo {
  read(): number;
  write(value: 0 | 1): void;
  close(): void;
}
export type DigitalIoClass = {
  new (options: { pin: number; mode: number; edge?: number; onReadable?: () => void }): DigitalIo;
  readonly InputPullDown: number;
  readonly Output: number;
  readonly Rising: number;
};

/** What the card application registers (hal/types `NfcCardHandler`). */
export interface CardHandler {
  onFieldOn(): void;
  onFieldOff(): void;
  onApdu(command: Uint8Array): Uint8Array;
}

export type Pn7160Fault =
  | 'bus' // an I2C transfer failed
  | 'cut-short' // IRQ fell before the packet's last byte: the controller stopped mid-message
  | 'malformed' // not an NCI packet, a message whose length disagrees with its fields, or not a command APDU
  | 'unexpected' // a valid packet the current state has no place for
  | 'rejected' // the controller refused a command or reported an interface error
  | 'no-response' // a command or notification that did not come
  | 'no-credit' // no credit to send the answer on
  | 'controller-reset' // CORE_RESET_NTF nobody asked for: the controller rebooted
  | 'stuck-irq'; // IRQ high, but reads give nothing valid

export type Pn7160State = 'off' | 'idle' | 'discovery' | 'listen-active' | 'listen-sleep' | 'failed';

export type Pn7160Settings = {
  /** How long to wait for a command's response. */
  responseTimeoutMs: number;
  /** How long to wait for a credit before the tap is given up. */
  creditTimeoutMs: number;
};

export type Pn7160Options = Partial<Pn7160Settings> & {
  i2c: { io: I2cIoClass; data: number; clock: number; hz?: number; address?: number };
  irq: { io: DigitalIoClass; pin: number };
  ven: { io: DigitalIoClass; pin: number };
  /** Blocking delay in ms (Moddable `Timer.delay`). */
  wait: (ms: number) => void;
  /** Told of every fault, after it is counted; never called for a handler's own doing. */
  onError?: (fault: Pn7160Fault, detail: string) => void;
};

const defaults = Object.freeze({ address: 0x28, hz: 400_000, responseTimeoutMs: 100, creditTimeoutMs: 100 });
const faultKinds: readonly Pn7160Fault[] = Object.freeze(['bus', 'cut-short', 'malformed', 'unexpected', 'rejected', 'no-response', 'no-credit', 'controller-reset', 'stuck-irq']);
/** VEN is held low this long to reset the chip; the first command waits this long after VEN rises, while the chip boots. */
const venLowMs = 10;
const bootMs = 20;
/** Reads in a row that give nothing valid while IRQ stays high before the IRQ counts as stuck. */
const stuckIrqReads = 3;
/** Bounds on one pass: packets read while IRQ stays high, and settling steps. */
const maxPacketsPerRead = 64;
const maxSettleSteps = 16;

type Awaiting = { type: ControlType; gid: number; oid: number };

export class Pn7160 {
  readonly #i2c: I2cIo;
  readonly #irq: DigitalIo;
  readonly #ven: DigitalIo;
  readonly #wait: (ms: number) => void;
  readonly #onError: ((fault: Pn7160Fault, detail: string) => void) | undefined;
  readonly #faults = Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as Record<Pn7160Fault, number>;
  #settings: Pn7160Settings;
  #handler: CardHandler | undefined;
  #state: Pn7160State = 'off';
  #busy = false;
  #closed = false;
  #initialising = false;
  #needsInit = true;
  #needsDeactivate = false;
  /** The handler that was told onFieldOn for the tap now open (undefined: none), and which tap it is. */
  #tap: CardHandler | undefined;
  #tapNumber = 0;
  #credits = 0;
  #flowControl = true;
  #maxDataPayload = 1;
  #segments: Uint8Array[] | undefined;
  #segmentBytes = 0;
  /** A whole command APDU waiting for its answer. */
  #command: Uint8Array | undefined;
  #answering = false;
  #awaiting: Awaiting | undefined;
  #reply: Uint8Array | undefined;
  #invalidReads = 0;
  #identity: ControllerIdentity | undefined;
  #lastFault: string | undefined;

  constructor(options: Pn7160Options) {
    const { i2c, irq, ven } = options;
    const address = i2c.address ?? defaults.address;
    const hz = i2c.hz ?? defaults.hz;
    if (!Number.isInteger(address) || address < 0x28 || address > 0x2b) throw new RangeError(`pn7160: "address" expected 0x28..0x2b (pins I2C_ADDR0/1), got ${address}`);
    if (!Number.isInteger(hz) || hz <= 0 || hz > 3_400_000) throw new RangeError(`pn7160: "hz" expected an integer in 1..3400000, got ${hz}`);
    if (typeof options.wait !== 'function') throw new TypeError('pn7160: "wait" expected a function');
    this.#settings = checkSettings({ responseTimeoutMs: defaults.responseTimeoutMs, creditTimeoutMs: defaults.creditTimeoutMs, ...pickSettings(options) });
    this.#wait = options.wait;
    this.#onError = options.onError;
    this.#ven = new ven.io({ pin: ven.pin, mode: ven.io.Output });
    this.#ven.write(0);
    this.#i2c = new i2c.io({ data: i2c.data, clock: i2c.clock, hz, address });
    this.#irq = new irq.io({ pin: irq.pin, mode: irq.io.InputPullDown, edge: irq.io.Rising, onReadable: () => this.#exclusive() });
    this.#exclusive();
  }

  /** Register the card application (replacing any other; an open tap ends); `undefined` stops listening. */
  setHandler(handler: CardHandler | undefined): void {
    if (handler !== undefined && (typeof handler.onApdu !== 'function' || typeof handler.onFieldOn !== 'function' || typeof handler.onFieldOff !== 'function')) {
      throw new TypeError('pn7160: "handler" expected onFieldOn, onFieldOff and onApdu');
    }
    if (handler === this.#handler) return;
    this.#handler = handler;
    if (this.#tap) {
      this.#endTap();
      this.#needsDeactivate = true; // the reader must activate the card again to meet the new handler
    }
    this.#exclusive();
  }

  /** Change the timeouts and set the chip up again from VEN (also the way out of state 'failed'). */
  configure(settings: Partial<Pn7160Settings> = {}): void {
    this.#settings = checkSettings({ ...this.#settings, ...pickSettings(settings) });
    this.#needsInit = true;
    this.#exclusive();
  }

  get settings(): Readonly<Pn7160Settings> {
    return this.#settings;
  }

  get state(): Pn7160State {
    return this.#state;
  }

  /** Faults seen so far, by kind. */
  get faults(): Readonly<Record<Pn7160Fault, number>> {
    return Object.freeze({ ...this.#faults });
  }

  /**
   * Service self-test: one CORE_GET_CONFIG round trip (self-test.ts), refused during a tap. Answers a
   * short description of the controller; throws an Error naming the fault when it does not answer
   * or no longer holds the set-up.
   */
  selfTest(): string {
    if (this.#closed) throw new Error('pn7160: closed');
    if (this.#tap || this.#state === 'listen-active' || this.#state === 'listen-sleep') throw new Error('pn7160: a tap is in progress; no self-test during a tap');
    if (this.#busy) throw new Error('pn7160: busy; no self-test from inside a card callback');
    const identity = this.#identity;
    if (!identity || (this.#state !== 'idle' && this.#state !== 'discovery')) {
      throw new Error(`pn7160: the controller is not set up (state ${this.#state}${this.#lastFault ? `; ${this.#lastFault}` : ''})`);
    }
    this.#lastFault = undefined;
    this.#busy = true;
    let reply: Uint8Array | undefined;
    try {
      reply = this.#request(Gid.core, CoreOid.getConfig, getLaSelInfo());
    } finally {
      this.#busy = false;
    }
    this.#exclusive(); // what arrived meanwhile (a tap beginning, a reset) is handled as ever
    if (!reply) throw new Error(`pn7160: no answer to CORE_GET_CONFIG_CMD${this.#lastFault ? ` (${this.#lastFault})` : ''}`);
    return selfTestReport(identity, reply);
  }

  /** End any tap, power the chip down (VEN low: no reader finds the card) and release the pins. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#endTap();
    this.#ven.write(0);
    this.#state = 'off';
    this.#irq.close();
    this.#ven.close();
    this.#i2c.close?.();
  }

  /** Bring the chip where it should be, unless that is already under way further up the stack. */
  #exclusive(): void {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    try {
      this.#settle();
    } finally {
      this.#busy = false;
    }
  }

  #settle(): void {
    for (let step = 0; step < maxSettleSteps && !this.#closed; step++) {
      if (this.#needsInit) {
        this.#initialise();
        continue;
      }
      if (this.#state === 'failed') return;
      this.#readAvailable();
      if (this.#needsInit) continue;
      if (this.#command) this.#answer();
      else if (this.#needsDeactivate) this.#deactivate();
      else if (this.#handler && this.#state === 'idle') this.#discover();
      else if (!this.#handler && (this.#state === 'discovery' || this.#state === 'listen-sleep')) this.#deactivate();
      else return;
    }
  }

  #initialise(): void {
    this.#needsInit = false;
    this.#needsDeactivate = false;
    this.#endTap();
    this.#awaiting = undefined;
    this.#reply = undefined;
    this.#invalidReads = 0;
    this.#identity = undefined;
    this.#state = 'off';
    this.#ven.write(0);
    this.#wait(venLowMs);
    this.#ven.write(1);
    this.#wait(bootMs);
    this.#initialising = true;
    try {
      this.#state = this.#initSequence() ? 'idle' : 'failed';
    } finally {
      this.#initialising = false;
    }
  }

  #initSequence(): boolean {
    // §4.1: reset with the configuration cleared, so the chip holds exactly what follows, whatever an
    // earlier firmware or an interrupted set-up left in it. NCI 2.0 answers with a status, then
    // CORE_RESET_NTF.
    const reset = this.#request(Gid.core, CoreOid.reset, commands.coreReset(ResetType.resetConfiguration));
    if (!this.#accepted('CORE_RESET_CMD', reset)) return false;
    const notification = this.#await('notification', Gid.core, CoreOid.reset);
    if (!notification) return false;
    const report = parseResetNotification(notification);
    if ('error' in report) return this.#failed('malformed', report.error);
    if (report.nciVersion >> 4 !== 2 || report.trigger !== ResetTrigger.resetCommand) {
      return this.#failed('rejected', `CORE_RESET_NTF reports NCI version 0x${report.nciVersion.toString(16)}, trigger ${report.trigger}; expected NCI 2.x after CORE_RESET_CMD`);
    }
    this.#identity = report;
    const init = this.#request(Gid.core, CoreOid.init, commands.coreInit());
    if (!init || !this.#accepted('CORE_INIT_CMD', init)) return false;
    const initResponse = parseInitResponse(init);
    if ('error' in initResponse) return this.#failed('malformed', initResponse.error);
    if (!initResponse.interfaces.includes(RfInterface.isoDep)) return this.#failed('rejected', `the controller offers RF interfaces ${initResponse.interfaces.join(', ')}, not ISO-DEP`);
    return (
      this.#accepted('CORE_SET_CONFIG_CMD', this.#request(Gid.core, CoreOid.setConfig, commands.setIsoDepSelInfo())) &&
      this.#accepted('RF_DISCOVER_MAP_CMD', this.#request(Gid.rf, RfOid.discoverMap, commands.mapIsoDepListen())) &&
      this.#accepted('RF_SET_LISTEN_MODE_ROUTING_CMD', this.#request(Gid.rf, RfOid.setListenModeRouting, commands.routeIsoDepToHost()))
    );
  }

  #discover(): void {
    const reply = this.#request(Gid.rf, RfOid.discover, commands.discoverNfcAListen());
    if (reply?.[0] === Status.ok || reply?.[0] === Status.discoveryAlreadyStarted) {
      this.#state = 'discovery';
      return;
    }
    if (reply) this.#fault('rejected', `RF_DISCOVER_CMD answered ${hex(reply)}`);
    this.#requestInit();
  }

  /** Back to listen discovery with a handler, to idle without (NCI: RFST_LISTEN_ACTIVE, RFST_DISCOVERY). */
  #deactivate(): void {
    this.#needsDeactivate = false;
    const type = this.#handler ? DeactivationType.discovery : DeactivationType.idle;
    const from = this.#state;
    if (from === 'idle' || (from === 'discovery' && type === DeactivationType.discovery)) return;
    if (!this.#accepted('RF_DEACTIVATE_CMD', this.#request(Gid.rf, RfOid.deactivate, commands.deactivate(type)))) return this.#requestInit();
    if (from === 'discovery') {
      this.#state = 'idle'; // from RFST_DISCOVERY the response is all
      return;
    }
    // From a listen state RF_DEACTIVATE_NTF follows the response; reading it sets the state.
    for (let waitedMs = 0; ; waitedMs++) {
      this.#readAvailable();
      if (this.#state !== from || this.#interrupted()) return;
      if (waitedMs >= this.#settings.responseTimeoutMs) {
        this.#fault('no-response', `no RF_DEACTIVATE_NTF within ${this.#settings.responseTimeoutMs} ms of RF_DEACTIVATE_RSP`);
        return this.#requestInit();
      }
      this.#wait(1);
    }
  }

  /** Answer the command waiting, then send the answer on the RF connection. */
  #answer(): void {
    const command = this.#command!;
    const tap = this.#tap;
    this.#command = undefined;
    if (!tap) return;
    const tapNumber = this.#tapNumber;
    this.#answering = true;
    try {
      const response = tap.onApdu(command);
      if (!(response instanceof Uint8Array) || response.length < 2 || response.length > maxShortResponseBytes) {
        throw new RangeError(`pn7160: onApdu answered ${response instanceof Uint8Array ? `${response.length} bytes` : typeof response}; a response APDU is 2..${maxShortResponseBytes} bytes`);
      }
      for (const packet of dataPackets(staticRfConnection, response, this.#maxDataPayload)) {
        if (!this.#awaitCredit(tapNumber)) return;
        if (!this.#write(packet)) {
          this.#endTap();
          this.#needsDeactivate = true;
          return;
        }
        if (this.#flowControl) this.#credits--;
      }
    } finally {
      this.#answering = false;
    }
  }

  /** Data flow control: never send on the RF connection without a credit; read what comes meanwhile. */
  #awaitCredit(tapNumber: number): boolean {
    for (let waitedMs = 0; ; waitedMs++) {
      this.#readAvailable();
      if (this.#interrupted() || this.#tap === undefined || this.#tapNumber !== tapNumber) return false;
      if ((this.#credits > 0 || !this.#flowControl) && !this.#irqHigh()) return true;
      if (waitedMs >= this.#settings.creditTimeoutMs) {
        this.#fault('no-credit', `no credit on the RF connection within ${this.#settings.creditTimeoutMs} ms; the tap is given up`);
        this.#endTap();
        this.#needsDeactivate = true;
        return false;
      }
      this.#wait(1);
    }
  }

  /** Send a command and answer its response's payload; undefined (with the fault counted) if none came. */
  #request(gid: number, oid: number, payload: number[]): Uint8Array | undefined {
    this.#readAvailable();
    if (this.#interrupted() || this.#irqHigh()) return undefined;
    return this.#write(controlPacket('command', gid, oid, payload)) ? this.#await('response', gid, oid) : undefined;
  }

  #await(type: ControlType, gid: number, oid: number): Uint8Array | undefined {
    this.#awaiting = { type, gid, oid };
    this.#reply = undefined;
    for (let waitedMs = 0; ; waitedMs++) {
      this.#readAvailable();
      const reply = this.#reply;
      if (reply) {
        this.#reply = undefined;
        return reply;
      }
      if (this.#interrupted()) break;
      if (waitedMs >= this.#settings.responseTimeoutMs) {
        this.#fault('no-response', `no ${type} GID ${gid} OID ${oid} within ${this.#settings.responseTimeoutMs} ms`);
        break;
      }
      this.#wait(1);
    }
    this.#awaiting = undefined;
    return undefined;
  }

  /** Read the packets the controller holds (IRQ high), each dispatched as it comes, up to an awaited reply. */
  #readAvailable(): void {
    for (let packets = 0; packets < maxPacketsPerRead && !this.#closed && !this.#reply && this.#irqHigh(); packets++) {
      const packet = this.#readPacket();
      if (packet) {
        this.#invalidReads = 0;
        this.#dispatch(packet);
      } else if (++this.#invalidReads >= stuckIrqReads) {
        this.#invalidReads = 0;
        this.#fault('stuck-irq', `IRQ stays high and ${stuckIrqReads} reads in a row gave no valid packet`);
        return this.#requestInit();
      }
    }
  }

  /** One packet in split mode: header, payload but its last byte, IRQ still high (else the message was cut), last byte. */
  #readPacket(): Packet | undefined {
    let bytes: Uint8Array;
    try {
      const header = new Uint8Array(this.#i2c.read(headerLength));
      const length = header[2]!;
      bytes = new Uint8Array(headerLength + length);
      bytes.set(header);
      if (length > 1) bytes.set(new Uint8Array(this.#i2c.read(length - 1)), headerLength);
      if (length > 0) {
        if (!this.#irqHigh()) {
          this.#fault('cut-short', `packet ${hex(bytes.subarray(0, Math.min(bytes.length - 1, 16)))}… ended before the last of its ${length} payload bytes`);
          return undefined;
        }
        bytes.set(new Uint8Array(this.#i2c.read(1)), headerLength + length - 1);
      }
    } catch (error) {
      this.#fault('bus', `I2C: ${(error as Error).message}`);
      return undefined;
    }
    const packet = decodePacket(bytes);
    if ('error' in packet) {
      this.#fault('malformed', packet.error);
      return undefined;
    }
    return packet;
  }

  #dispatch(packet: Packet): void {
    if (packet.kind === 'data') return this.#receiveData(packet);
    if (packet.type === 'command' || !packet.last) {
      return this.#fault('malformed', `the controller sent a ${packet.last ? 'command' : 'segmented control message'} (GID ${packet.gid}, OID ${packet.oid})`);
    }
    const awaiting = this.#awaiting;
    if (awaiting && awaiting.type === packet.type && awaiting.gid === packet.gid && awaiting.oid === packet.oid) {
      this.#awaiting = undefined;
      this.#reply = packet.payload;
      return;
    }
    if (packet.type === 'response') return this.#fault('unexpected', `a response (GID ${packet.gid}, OID ${packet.oid}) to no command`);
    const { gid, oid, payload } = packet;
    if (gid === Gid.core && oid === CoreOid.reset) {
      this.#fault('controller-reset', `CORE_RESET_NTF ${hex(payload)} without CORE_RESET_CMD: the controller rebooted`);
      this.#requestInit();
    } else if (gid === Gid.core && oid === CoreOid.connCredits) this.#receiveCredits(payload);
    else if (gid === Gid.core && oid === CoreOid.interfaceError) this.#interfaceError(payload);
    else if (gid === Gid.rf && oid === RfOid.intfActivated) this.#activated(payload);
    else if (gid === Gid.rf && oid === RfOid.deactivate) this.#deactivated(payload);
    // Other notifications (CORE_GENERIC_ERROR_NTF such as DISCOVERY_TARGET_ACTIVATION_FAILED, NXP's
    // own) change nothing here.
  }

  #activated(payload: Uint8Array): void {
    const activation = parseActivation(payload);
    if ('error' in activation) return this.#fault('malformed', activation.error);
    const isoDepListenA = activation.rfInterface === RfInterface.isoDep && activation.protocol === RfProtocol.isoDep && activation.mode === TechMode.nfcAPassiveListen;
    const listening = this.#state === 'discovery' || this.#state === 'listen-sleep';
    if (!isoDepListenA || activation.maxDataPayload === 0 || !listening || this.#tap) {
      this.#fault('unexpected', `RF_INTF_ACTIVATED_NTF ${hex(payload.subarray(0, 6))} in state ${this.#state}${this.#tap ? ' during a tap' : ''}`);
      this.#endTap();
      this.#state = 'listen-active';
      this.#needsDeactivate = true;
      return;
    }
    this.#state = 'listen-active';
    if (!this.#handler) {
      this.#needsDeactivate = true;
      return;
    }
    this.#credits = activation.credits;
    this.#flowControl = activation.credits !== noFlowControl;
    this.#maxDataPayload = activation.maxDataPayload;
    this.#tap = this.#handler;
    this.#tapNumber++;
    this.#tap.onFieldOn();
  }

  #deactivated(payload: Uint8Array): void {
    const deactivation = parseDeactivation(payload);
    if ('error' in deactivation) return this.#fault('malformed', deactivation.error);
    this.#endTap();
    if (deactivation.type === DeactivationType.idle) this.#state = 'idle';
    else if (deactivation.type === DeactivationType.discovery) this.#state = 'discovery';
    else this.#state = 'listen-sleep';
  }

  #receiveCredits(payload: Uint8Array): void {
    const entries = parseCredits(payload);
    if ('error' in entries) return this.#fault('malformed', entries.error);
    for (const { connId, credits } of entries) {
      if (connId === staticRfConnection && this.#tap) this.#credits = Math.min(noFlowControl - 1, this.#credits + credits);
    }
  }

  /** CORE_INTERFACE_ERROR_NTF: the RF exchange failed; the tap ends and the reader must start again. */
  #interfaceError(payload: Uint8Array): void {
    if (payload.length !== 2) return this.#fault('malformed', `CORE_INTERFACE_ERROR_NTF of ${payload.length} bytes`);
    if (!this.#tap || (payload[1]! & 0x0f) !== staticRfConnection) return;
    this.#fault('rejected', `CORE_INTERFACE_ERROR_NTF status 0x${payload[0]!.toString(16)} on the RF connection`);
    this.#endTap();
    this.#needsDeactivate = true;
  }

  #receiveData(packet: DataPacket): void {
    if (packet.connId !== staticRfConnection || !this.#tap || this.#command || this.#answering) {
      return this.#fault('unexpected', `a ${packet.payload.length}-byte data packet on connection ${packet.connId} while no command is due`);
    }
    if (this.#flowControl) this.#credits = Math.min(noFlowControl - 1, this.#credits + packet.credits);
    const segments = (this.#segments ??= []);
    segments.push(packet.payload);
    this.#segmentBytes += packet.payload.length;
    if (this.#segmentBytes > maxShortCommandBytes) return this.#fault('malformed', `a command longer than ${maxShortCommandBytes} bytes`);
    if (!packet.last) return;
    const command = new Uint8Array(this.#segmentBytes);
    let offset = 0;
    for (const segment of segments) command.set(segment, (offset += segment.length) - segment.length);
    this.#segments = undefined;
    this.#segmentBytes = 0;
    if (!isCommandApdu(command)) return this.#fault('malformed', `${command.length} bytes ${hex(command.subarray(0, 8))}… are not a command APDU (ISO/IEC 7816-4 §5.1)`);
    this.#command = command;
  }

  #endTap(): void {
    const tap = this.#tap;
    this.#tap = undefined;
    this.#segments = undefined;
    this.#segmentBytes = 0;
    this.#command = undefined;
    tap?.onFieldOff();
  }

  #requestInit(): void {
    this.#endTap();
    this.#needsInit = true;
  }

  /** A wait in progress must give way: the driver closed, or the chip needs setting up again. */
  #interrupted(): boolean {
    return this.#closed || (this.#needsInit && !this.#initialising);
  }

  #accepted(name: string, reply: Uint8Array | undefined): boolean {
    if (!reply) return false;
    if (reply[0] === Status.ok) return true;
    return this.#failed('rejected', `${name} answered ${reply.length ? `status 0x${reply[0]!.toString(16)}` : 'an empty response'}`);
  }

  #failed(kind: Pn7160Fault, detail: string): false {
    this.#fault(kind, detail);
    return false;
  }

  /** Count and report; the exchange under way is no longer trusted. */
  #fault(kind: Pn7160Fault, detail: string): void {
    this.#faults[kind]++;
    this.#lastFault = `${kind}: ${detail}`;
    this.#segments = undefined;
    this.#segmentBytes = 0;
    this.#command = undefined;
    this.#onError?.(kind, `pn7160: ${detail}`);
  }

  #write(packet: Uint8Array): boolean {
    try {
      this.#i2c.write(packet.buffer as ArrayBuffer);
      return true;
    } catch (error) {
      this.#fault('bus', `I2C: ${(error as Error).message}`);
      return false;
    }
  }

  #irqHigh(): boolean {
    try {
      return this.#irq.read() === 1;
    } catch {
      return false;
    }
  }
}

function pickSettings(options: Partial<Pn7160Settings>): Partial<Pn7160Settings> {
  const picked: Partial<Pn7160Settings> = {};
  if (options.responseTimeoutMs !== undefined) picked.responseTimeoutMs = options.responseTimeoutMs;
  if (options.creditTimeoutMs !== undefined) picked.creditTimeoutMs = options.creditTimeoutMs;
  return picked;
}

function checkSettings(settings: Pn7160Settings): Pn7160Settings {
  for (const name of ['responseTimeoutMs', 'creditTimeoutMs'] as const) {
    const value = settings[name];
    if (!Number.isInteger(value) || value < 1 || value > 5000) throw new RangeError(`pn7160: "${name}" expected an integer in 1..5000, got ${value}`);
  }
  return Object.freeze({ ...settings });
}
