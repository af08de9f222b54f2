// SIMULATION of an NXP PN7160 NFC controller doing ISO-DEP card emulation for its host, at the level
// its driver sees it: NCI 2.0 packets on I2C (address 0x28), the IRQ output and the VEN input.
// Documents: NFC Forum NCI Technical Specification 2.0 (messages, status codes, the RF state machine,
// data flow control); NXP UM11495, PN7160 user manual (host interface, as UM10936 §3.1–3.5 for the
// PN7150). The NCI encoding here is written anew on purpose: it checks the driver's, not copies it.
//
// Host interface. VEN low: the chip is off and acknowledges nothing; after VEN rises it boots for
// `bootUs` (a model value) and then waits, silent, for CORE_RESET_CMD. A write carries one NCI
// packet. IRQ is high while the chip holds a message for the host; the host reads it in one read or
// several (split mode); IRQ falls once its last byte is out and rises again for the next message.
// Bytes read past the message, or with none waiting, read 0xFF (SDA released: a model choice). A
// write while IRQ is high, which the manual forbids, is still taken and counted in `writesWithIrqHigh`.
//
// NCI. off → await-reset → (CORE_RESET) → await-init → (CORE_INIT) → idle ⇄ discovery ⇄ listen-active.
// CORE_RESET_CMD (Reset Type 0 keeps the configuration, 1 clears it) → CORE_RESET_RSP(status), then
// CORE_RESET_NTF (trigger "CORE_RESET_CMD received", NCI 2.0). CORE_INIT_CMD (2 feature bytes) →
// CORE_INIT_RSP in the NCI 2.0 layout. In any state after CORE_INIT: CORE_GET_CONFIG (LA_SEL_INFO;
// other IDs come back unavailable, length 0 under STATUS_INVALID_PARAM — a model limit). In idle:
// CORE_SET_CONFIG (LA_SEL_INFO, TOTAL_DURATION), RF_DISCOVER_MAP, RF_SET_LISTEN_MODE_ROUTING, RF_DISCOVER (→ discovery). RF_DEACTIVATE: from
// discovery to idle (response only); from listen-active to idle or discovery (response, then
// RF_DEACTIVATE_NTF with reason DH_Request). Refusals, each counted in `packetsRejected`: a packet
// whose length disagrees with its header, a message type a host does not send, or a segmented
// command (never needed below a 255-byte control payload; a model limit) → CORE_GENERIC_ERROR_NTF
// (STATUS_SYNTAX_ERROR); before CORE_RESET / CORE_INIT → STATUS_NOT_INITIALIZED; the wrong state →
// STATUS_SEMANTIC_ERROR (RF_DISCOVER while discovering: DISCOVERY_ALREADY_STARTED); a payload that
// disagrees with its own fields → STATUS_SYNTAX_ERROR; an unknown parameter, interface or value →
// STATUS_INVALID_PARAM; a command this model does not implement → STATUS_REJECTED; GIDs other than
// core and RF → STATUS_UNKNOWN_GID.
//
// RF side. `antenna` is the card as the air (hal/sim/nfc-field.ts) sees it: `field.setHandler(
// sim.antenna)`. A reader's field activates the card only in discovery with ISO-DEP mapped to the
// ISO-DEP interface in listen mode, LA_SEL_INFO announcing ISO-DEP, ISO-DEP (or NFC-A) routed to the
// host and NFC-A passive listen discovered: RF_INTF_ACTIVATED_NTF (ISO-DEP, NFC-A passive listen,
// max payload `maxDataPayload`, `initialCredits` credits). Otherwise no card answers and the
// reader's transceive fails as a lost tag. A command APDU goes to the host as data packets on
// connection 0 (at most `maxDataPayload` bytes each, PBF); the host's answer must be whole when its
// IRQ handler returns (the frame waiting time), else the reader sees a lost tag. Each data packet
// from the host takes a credit and, once sent over RF, gives it back in CORE_CONN_CREDITS_NTF; one
// sent without a credit is discarded with CORE_INTERFACE_ERROR_NTF(STATUS_REJECTED) and counted in
// `creditMisuse` (NCI leaves this to the NFCC: a model choice). The field going away →
// RF_DEACTIVATE_NTF(discovery, RF_Link_Loss).
//
// Faults (`faults.*`): cutNextPacket — the next message stops after its header and half its payload,
// IRQ falls and what was queued behind it is lost (the chip's host interface dropped out);
// wrongLength(delta) — the next message's length byte is off by `delta`; garbage(bytes) — bytes no
// NCI layer made, sent as a message; resetController — a watchdog reset: queued messages and the
// configuration lost, a reader's card gone, CORE_RESET_NTF(unrecoverable error, configuration
// reset), CORE_INIT needed again; stuckIrq — IRQ held high with nothing to read until VEN cycles;
// withholdCredits — credits are no longer given back.
// Model values, not the PN7160's own: manufacturer information, NFCC features, table sizes.
import type { NfcCardHandler } from '../../types.ts';
import type { EdgeSignal } from '../io/digital.ts';
import { type DigitalLine, type I2cDevice, I2cNoAcknowledge } from '../io/wiring.ts';
import { NfcTagLostError } from '../nfc-field.ts';

export type Pn7160SimState = 'off' | 'await-reset' | 'await-init' | 'idle' | 'discovery' | 'listen-active';

export type Pn7160SimOptions = {
  address?: number;
  /** Max Data Packet Payload Size announced at activation, and the size the chip segments at (1..255). */
  maxDataPayload?: number;
  /** Initial Number of Credits announced at activation (0..254). */
  initialCredits?: number;
  bootUs?: number;
};

type Message = { bytes: Uint8Array; deliverable: number; cut: boolean };

const MessageType = Object.freeze({ data: 0, command: 1, response: 2, notification: 3 });
const Gid = Object.freeze({ core: 0x0, rf: 0x1 });
/** GID << 8 | OID of the messages modelled. */
const Opcode = Object.freeze({
  coreReset: 0x000, coreInit: 0x001, coreSetConfig: 0x002, coreGetConfig: 0x003, coreConnCredits: 0x006, coreGenericError: 0x007, coreInterfaceError: 0x008,
  rfDiscoverMap: 0x100, rfSetListenModeRouting: 0x101, rfDiscover: 0x103, rfIntfActivated: 0x105, rfDeactivate: 0x106,
});
const Status = Object.freeze({
  ok: 0x00, rejected: 0x01, notInitialized: 0x04, syntaxError: 0x05, semanticError: 0x06, unknownGid: 0x07,
  invalidParam: 0x09, messageSizeExceeded: 0x0a, discoveryAlreadyStarted: 0xa0,
});
const ConfigParameter = Object.freeze({ totalDuration: 0x00, laSelInfo: 0x32 });
const selResIsoDep = 0x20;
const RfInterface = Object.freeze({ frame: 0x01, isoDep: 0x02, nfcDep: 0x03, nxpTagCommand: 0x80 });
const isoDepProtocol = 0x04;
const nfcAPassiveListen = 0x80;
const DeactivationType = Object.freeze({ idle: 0x00, discovery: 0x03 });
const DeactivationReason = Object.freeze({ dhRequest: 0x00, rfLinkLoss: 0x02 });
const ResetTrigger = Object.freeze({ unrecoverableError: 0x00, resetCommand: 0x02 });
const nciVersion = 0x20;
const manufacturerNxp = 0x04;
const manufacturerInfo = Object.freeze([0x12, 0x50, 0x05, 0x1e]);
/** CORE_INIT_RSP (NCI 2.0): status, features ×4, max logical connections, max routing table size
 * (LE), max control payload, static HCI connection max payload and credits, max NFC-V frame (LE),
 * RF interfaces each with no extension. */
const initResponse = Object.freeze([
  Status.ok, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0xff, 0xff, 0x01, 0x00, 0x01,
  4, RfInterface.frame, 0, RfInterface.isoDep, 0, RfInterface.nfcDep, 0, RfInterface.nxpTagCommand, 0,
]);
const commandLogLength = 32;

export class Pn7160Sim implements I2cDevice {
  /** The IRQ output (active high), for `wiring.connectDigital`. */
  readonly irq: Required<Pick<DigitalLine, 'level'>> & EdgeSignal;
  /** The VEN input (low: off), for `wiring.connectDigital`. */
  readonly ven: Required<Pick<DigitalLine, 'drive'>>;
  readonly antenna: NfcCardHandler;
  readonly faults: Readonly<{
    cutNextPacket(): void;
    wrongLength(delta: number): void;
    garbage(bytes: Uint8Array): void;
    resetController(): void;
    stuckIrq(): void;
    withholdCredits(on?: boolean): void;
  }>;
  readonly #address: number;
  readonly #maxDataPayload: number;
  readonly #initialCredits: number;
  readonly #bootUs: number;
  #state: Pn7160SimState = 'off';
  #bootedAtUs = 0;
  #boots = 0;
  readonly #outbox: Message[] = [];
  #readOffset = 0;
  #irqLevel: 0 | 1 = 0;
  readonly #edgeListeners = new Set<(level: 0 | 1) => void>();
  #stuck = false;
  #nextCut = false;
  #nextLengthDelta = 0;
  // NCI RF configuration
  #selInfo = 0;
  #isoDepListenMapped = false;
  #isoDepRoutedToHost = false;
  #routingInProgress = false;
  #listensNfcA = false;
  // the exchange on the air
  #hostCredits = 0;
  #withholding = false;
  #awaitingResponse = false;
  #response: Uint8Array[] = [];
  #responseComplete = false;
  // what a test asserts
  #packetsRejected = 0;
  #creditMisuse = 0;
  #writesWithIrqHigh = 0;
  #apdusAnswered = 0;
  readonly #commandLog: string[] = [];

  constructor(options: Pn7160SimOptions = {}) {
    this.#address = options.address ?? 0x28;
    this.#maxDataPayload = options.maxDataPayload ?? 255;
    this.#initialCredits = options.initialCredits ?? 1;
    this.#bootUs = options.bootUs ?? 2000;
    if (!Number.isInteger(this.#maxDataPayload) || this.#maxDataPayload < 1 || this.#maxDataPayload > 255) {
      throw new RangeError(`sim/pn7160: "maxDataPayload" expected an integer in 1..255, got ${this.#maxDataPayload}`);
    }
    if (!Number.isInteger(this.#initialCredits) || this.#initialCredits < 0 || this.#initialCredits > 254) {
      throw new RangeError(`sim/pn7160: "initialCredits" expected an integer in 0..254, got ${this.#initialCredits}`);
    }
    this.irq = {
      level: () => this.#irqLevel,
      watchEdges: (listener) => {
        this.#edgeListeners.add(listener);
        return () => this.#edgeListeners.delete(listener);
      },
    };
    this.ven = { drive: (level, atUs) => (level === 1 ? this.#powerOn(atUs) : this.#powerOff()) };
    this.antenna = { onFieldOn: () => this.#fieldOn(), onApdu: (command) => this.#exchange(command), onFieldOff: () => this.#fieldOff() };
    this.faults = Object.freeze({
      cutNextPacket: () => {
        this.#nextCut = true;
      },
      wrongLength: (delta: number) => {
        if (!Number.isInteger(delta) || delta === 0 || Math.abs(delta) > 255) throw new RangeError(`sim/pn7160: "delta" expected a non-zero integer in -255..255, got ${delta}`);
        this.#nextLengthDelta = delta;
      },
      garbage: (bytes: Uint8Array) => {
        if (this.#state === 'off') throw new Error('sim/pn7160: the chip is off');
        this.#send([bytes.slice()]);
      },
      resetController: () => this.#watchdogReset(),
      stuckIrq: () => {
        this.#stuck = true;
        this.#outbox.length = 0;
        this.#readOffset = 0;
        this.#setIrq(1);
      },
      withholdCredits: (on = true) => {
        this.#withholding = on;
      },
    });
  }

  get state(): Pn7160SimState {
    return this.#state;
  }

  /** Times VEN has powered the chip up. */
  get boots(): number {
    return this.#boots;
  }

  /** Host packets answered with a refusal (an error status or an error notification). */
  get packetsRejected(): number {
    return this.#packetsRejected;
  }

  /** Data packets the host sent without holding a credit. */
  get creditMisuse(): number {
    return this.#creditMisuse;
  }

  get writesWithIrqHigh(): number {
    return this.#writesWithIrqHigh;
  }

  /** C-APDUs from the air the host answered with a whole R-APDU in data packets. */
  get apdusAnswered(): number {
    return this.#apdusAnswered;
  }

  /** The last control packets the host sent, in hex, oldest first. */
  get commandLog(): readonly string[] {
    return [...this.#commandLog];
  }

  write(bytes: Uint8Array, atUs: number): void {
    this.#checkPowered(atUs);
    if (this.#irqLevel === 1) this.#writesWithIrqHigh++;
    if (bytes.length < 3 || bytes.length !== 3 + bytes[2]!) return this.#refuse(this.#notification(Opcode.coreGenericError, [Status.syntaxError]));
    const type = bytes[0]! >> 5;
    const segmented = (bytes[0]! & 0x10) !== 0;
    if (type === MessageType.command && !segmented) return this.#command(bytes);
    if (type === MessageType.data) return this.#hostData(bytes[0]! & 0x0f, segmented, bytes[1]!, bytes.subarray(3));
    this.#refuse(this.#notification(Opcode.coreGenericError, [Status.syntaxError]));
  }

  read(byteLength: number, atUs: number): Uint8Array {
    this.#checkPowered(atUs);
    const bytes = new Uint8Array(byteLength).fill(0xff);
    const message = this.#outbox[0];
    if (this.#stuck || !message) return bytes;
    const count = Math.min(byteLength, message.deliverable - this.#readOffset);
    bytes.set(message.bytes.subarray(this.#readOffset, this.#readOffset + count));
    this.#readOffset += count;
    if (this.#readOffset >= message.deliverable) {
      this.#outbox.shift();
      this.#readOffset = 0;
      if (message.cut) this.#outbox.length = 0;
      this.#setIrq(0);
      if (this.#outbox.length > 0) this.#setIrq(1);
    }
    return bytes;
  }

  #command(packet: Uint8Array): void {
    this.#commandLog.push(hex(packet));
    if (this.#commandLog.length > commandLogLength) this.#commandLog.shift();
    const gid = packet[0]! & 0x0f;
    const oid = packet[1]! & 0x3f;
    const followUps: Uint8Array[] = [];
    const response = this.#execute(gid, oid, packet.subarray(3), followUps);
    if (response[0] !== Status.ok) this.#packetsRejected++;
    this.#send([message(MessageType.response, gid, oid, response), ...followUps]);
  }

  /** The response payload (status first); notifications that follow it go to `followUps`. */
  #execute(gid: number, oid: number, payload: Uint8Array, followUps: Uint8Array[]): number[] {
    if (gid !== Gid.core && gid !== Gid.rf) return [Status.unknownGid];
    const opcode = (gid << 8) | oid;
    if (opcode === Opcode.coreReset) return this.#reset(payload, followUps);
    if (this.#state === 'await-reset') return [Status.notInitialized];
    if (opcode === Opcode.coreInit) return this.#init(payload);
    if (this.#state === 'await-init') return [Status.notInitialized];
    switch (opcode) {
      case Opcode.coreSetConfig:
        return this.#inIdle() ?? this.#setConfig(payload);
      case Opcode.coreGetConfig:
        return this.#getConfig(payload);
      case Opcode.rfDiscoverMap:
        return this.#inIdle() ?? this.#discoverMap(payload);
      case Opcode.rfSetListenModeRouting:
        return this.#inIdle() ?? this.#routing(payload);
      case Opcode.rfDiscover:
        return this.#discover(payload);
      case Opcode.rfDeactivate:
        return this.#deactivate(payload, followUps);
      default:
        return [Status.rejected];
    }
  }

  #reset(payload: Uint8Array, followUps: Uint8Array[]): number[] {
    if (payload.length !== 1) return [Status.syntaxError];
    if (payload[0]! > 1) return [Status.invalidParam];
    const clearsConfiguration = payload[0] === 1;
    this.#endRf();
    if (clearsConfiguration) this.#forgetConfiguration();
    this.#state = 'await-init';
    followUps.push(this.#resetNotification(ResetTrigger.resetCommand, clearsConfiguration));
    return [Status.ok];
  }

  #init(payload: Uint8Array): number[] {
    if (this.#state !== 'await-init') return [Status.semanticError];
    if (payload.length !== 2) return [Status.syntaxError];
    this.#state = 'idle';
    return [...initResponse];
  }

  #inIdle(): number[] | undefined {
    return this.#state === 'idle' ? undefined : [Status.semanticError];
  }

  /** Number of parameters, then (ID, length, value) each; unknown IDs are named in the response. */
  #setConfig(payload: Uint8Array): number[] {
    const parameters: { id: number; value: Uint8Array }[] = [];
    let offset = 1;
    for (let i = 0; i < (payload[0] ?? 0); i++) {
      if (offset + 2 > payload.length || offset + 2 + payload[offset + 1]! > payload.length) return [Status.syntaxError];
      parameters.push({ id: payload[offset]!, value: payload.subarray(offset + 2, offset + 2 + payload[offset + 1]!) });
      offset += 2 + payload[offset + 1]!;
    }
    if (parameters.length === 0 || offset !== payload.length) return [Status.syntaxError];
    const invalid = parameters.filter(({ id, value }) => !(id === ConfigParameter.laSelInfo && value.length === 1) && !(id === ConfigParameter.totalDuration && value.length === 2));
    if (invalid.length > 0) return [Status.invalidParam, invalid.length, ...invalid.map(({ id }) => id)];
    for (const { id, value } of parameters) if (id === ConfigParameter.laSelInfo) this.#selInfo = value[0]!;
    return [Status.ok, 0];
  }

  /** Number of parameters, then their IDs; answers (ID, length, value) each, or the unavailable IDs with length 0. */
  #getConfig(payload: Uint8Array): number[] {
    const ids = [...payload.subarray(1)];
    if (ids.length === 0 || ids.length !== payload[0]) return [Status.syntaxError];
    const unavailable = ids.filter((id) => id !== ConfigParameter.laSelInfo);
    if (unavailable.length > 0) return [Status.invalidParam, unavailable.length, ...unavailable.flatMap((id) => [id, 0])];
    return [Status.ok, ids.length, ...ids.flatMap((id) => [id, 1, this.#selInfo])];
  }

  /** Number of mappings, then (RF protocol, mode bits: 1 poll, 2 listen, RF interface) each; a new map replaces the old. */
  #discoverMap(payload: Uint8Array): number[] {
    const n = payload[0] ?? 0;
    if (n === 0 || payload.length !== 1 + 3 * n) return [Status.syntaxError];
    let isoDepListen = false;
    for (let i = 0; i < n; i++) {
      const [protocol, mode, rfInterface] = payload.subarray(1 + 3 * i, 4 + 3 * i);
      if (mode! < 1 || mode! > 3 || !(Object.values(RfInterface) as number[]).includes(rfInterface!)) return [Status.invalidParam];
      if (protocol === isoDepProtocol && mode! & 0x02 && rfInterface === RfInterface.isoDep) isoDepListen = true;
    }
    this.#isoDepListenMapped = isoDepListen;
    return [Status.ok];
  }

  /** More (0: last message of the table), number of entries, then (type, length, value) entries. */
  #routing(payload: Uint8Array): number[] {
    if (payload.length < 2 || payload[0]! > 1) return [Status.syntaxError];
    let toHost = false;
    let offset = 2;
    for (let i = 0; i < payload[1]!; i++) {
      if (offset + 2 > payload.length || offset + 2 + payload[offset + 1]! > payload.length) return [Status.syntaxError];
      const type = payload[offset]! & 0x0f;
      const value = payload.subarray(offset + 2, offset + 2 + payload[offset + 1]!);
      offset += 2 + value.length;
      if (type > 4) return [Status.invalidParam];
      if (type > 1) continue; // AID, system code and APDU pattern entries: not modelled
      if (value.length !== 3) return [Status.syntaxError];
      const [route, powerState, match] = value;
      if (route !== 0x00) return [Status.invalidParam]; // only the host (DH-NFCEE ID 0) exists here
      const isoDepOrNfcA = type === 1 ? match === isoDepProtocol : match === 0x00;
      if (isoDepOrNfcA && powerState! & 0x01) toHost = true;
    }
    if (offset !== payload.length) return [Status.syntaxError];
    this.#isoDepRoutedToHost = (this.#routingInProgress && this.#isoDepRoutedToHost) || toHost;
    this.#routingInProgress = payload[0] === 1;
    return [Status.ok];
  }

  /** Number of configurations, then (RF technology and mode, frequency 1..10) each. */
  #discover(payload: Uint8Array): number[] {
    if (this.#state === 'discovery') return [Status.discoveryAlreadyStarted];
    if (this.#state !== 'idle') return [Status.semanticError];
    const n = payload[0] ?? 0;
    if (n === 0 || payload.length !== 1 + 2 * n) return [Status.syntaxError];
    let listensNfcA = false;
    for (let i = 0; i < n; i++) {
      const frequency = payload[2 + 2 * i]!;
      if (frequency < 1 || frequency > 10) return [Status.invalidParam];
      if (payload[1 + 2 * i] === nfcAPassiveListen) listensNfcA = true;
    }
    this.#listensNfcA = listensNfcA;
    this.#state = 'discovery';
    return [Status.ok];
  }

  #deactivate(payload: Uint8Array, followUps: Uint8Array[]): number[] {
    if (payload.length !== 1) return [Status.syntaxError];
    const type = payload[0]!;
    if (type > 3) return [Status.invalidParam];
    if (this.#state === 'discovery' && type === DeactivationType.idle) {
      this.#state = 'idle';
      return [Status.ok];
    }
    if (this.#state === 'listen-active' && (type === DeactivationType.idle || type === DeactivationType.discovery)) {
      this.#endRf();
      this.#state = type === DeactivationType.idle ? 'idle' : 'discovery';
      followUps.push(this.#notification(Opcode.rfDeactivate, [type, DeactivationReason.dhRequest]));
      return [Status.ok];
    }
    return [Status.semanticError];
  }

  #hostData(connId: number, segmented: boolean, octet1: number, payload: Uint8Array): void {
    const refuse = (status: number): void => this.#refuse(this.#notification(Opcode.coreInterfaceError, [status, connId]));
    if (connId !== 0) return refuse(Status.rejected);
    if (this.#state !== 'listen-active' || !this.#awaitingResponse) return refuse(Status.semanticError);
    if (octet1 !== 0) return refuse(Status.syntaxError);
    if (payload.length > this.#maxDataPayload) return refuse(Status.messageSizeExceeded);
    if (this.#hostCredits === 0) {
      this.#creditMisuse++;
      return refuse(Status.rejected);
    }
    this.#hostCredits--;
    this.#response.push(payload.slice());
    if (!segmented) {
      this.#responseComplete = true;
      this.#awaitingResponse = false;
    }
    if (this.#withholding) return;
    this.#hostCredits++;
    this.#send([this.#notification(Opcode.coreConnCredits, [1, 0, 1])]);
  }

  #fieldOn(): void {
    const emulatesIsoDepA = (this.#selInfo & selResIsoDep) !== 0 && this.#isoDepListenMapped && this.#isoDepRoutedToHost && this.#listensNfcA;
    if (this.#state !== 'discovery' || !emulatesIsoDepA) return; // no card answers: the reader's transceive finds none
    this.#state = 'listen-active';
    this.#hostCredits = this.#initialCredits;
    // Discovery ID 1, ISO-DEP interface and protocol, NFC-A passive listen, max payload, credits, no
    // technology parameters, data exchange NFC-A passive listen at 106 kbit/s both ways, one
    // activation parameter: byte 2 of RATS (FSDI 8: 256 bytes, DID 0).
    this.#send([this.#notification(Opcode.rfIntfActivated, [1, RfInterface.isoDep, isoDepProtocol, nfcAPassiveListen, this.#maxDataPayload, this.#initialCredits, 0, nfcAPassiveListen, 0, 0, 1, 0x80])]);
  }

  #exchange(command: Uint8Array): Uint8Array {
    if (this.#state !== 'listen-active') throw new NfcTagLostError('sim/pn7160: no ISO-DEP card is active in the field');
    this.#response = [];
    this.#responseComplete = false;
    this.#awaitingResponse = true;
    const packets: Uint8Array[] = [];
    for (let offset = 0; offset < command.length; offset += this.#maxDataPayload) {
      const segment = command.subarray(offset, offset + this.#maxDataPayload);
      const more = offset + segment.length < command.length;
      packets.push(Uint8Array.of((MessageType.data << 5) | (more ? 0x10 : 0), 0, segment.length, ...segment));
    }
    this.#send(packets); // the host's IRQ handler runs now
    this.#awaitingResponse = false;
    if (this.#responseComplete) {
      this.#apdusAnswered++;
      let length = 0;
      for (const part of this.#response) length += part.length;
      const response = new Uint8Array(length);
      let offset = 0;
      for (const part of this.#response) {
        response.set(part, offset);
        offset += part.length;
      }
      return response;
    }
    throw new NfcTagLostError(
      this.#state === 'listen-active' ? 'sim/pn7160: the host sent no whole answer within the frame waiting time' : 'sim/pn7160: the card left the field before it answered',
    );
  }

  #fieldOff(): void {
    this.#awaitingResponse = false;
    if (this.#state !== 'listen-active') return;
    this.#endRf();
    this.#state = 'discovery';
    this.#send([this.#notification(Opcode.rfDeactivate, [DeactivationType.discovery, DeactivationReason.rfLinkLoss])]);
  }

  #watchdogReset(): void {
    if (this.#state === 'off') throw new Error('sim/pn7160: the chip is off');
    this.#outbox.length = 0;
    this.#readOffset = 0;
    this.#stuck = false;
    this.#setIrq(0);
    this.#endRf();
    this.#forgetConfiguration();
    this.#state = 'await-init';
    this.#send([this.#resetNotification(ResetTrigger.unrecoverableError, true)]);
  }

  #powerOn(atUs: number): void {
    if (this.#state !== 'off') return;
    this.#boots++;
    this.#bootedAtUs = atUs + this.#bootUs;
    this.#state = 'await-reset';
  }

  #powerOff(): void {
    this.#state = 'off';
    this.#outbox.length = 0;
    this.#readOffset = 0;
    this.#stuck = false;
    this.#endRf();
    this.#forgetConfiguration();
    this.#setIrq(0);
  }

  #checkPowered(atUs: number): void {
    if (this.#state === 'off' || atUs < this.#bootedAtUs) throw new I2cNoAcknowledge(this.#address);
  }

  #endRf(): void {
    this.#awaitingResponse = false;
    this.#hostCredits = 0;
  }

  #forgetConfiguration(): void {
    this.#selInfo = 0;
    this.#isoDepListenMapped = false;
    this.#isoDepRoutedToHost = false;
    this.#routingInProgress = false;
    this.#listensNfcA = false;
  }

  #resetNotification(trigger: number, configurationReset: boolean): Uint8Array {
    return this.#notification(Opcode.coreReset, [trigger, configurationReset ? 1 : 0, nciVersion, manufacturerNxp, manufacturerInfo.length, ...manufacturerInfo]);
  }

  #notification(opcode: number, payload: readonly number[]): Uint8Array {
    return message(MessageType.notification, opcode >> 8, opcode & 0x3f, payload);
  }

  #refuse(notification: Uint8Array): void {
    this.#packetsRejected++;
    this.#send([notification]);
  }

  /** Queue messages for the host (the next ones take any fault set up for them) and raise IRQ. */
  #send(messages: Uint8Array[]): void {
    if (this.#stuck) return;
    for (const bytes of messages) {
      const queued: Message = { bytes, deliverable: bytes.length, cut: false };
      if (this.#nextCut) {
        this.#nextCut = false;
        queued.deliverable = 3 + ((bytes.length - 3) >> 1);
        queued.cut = true;
      }
      if (this.#nextLengthDelta !== 0) {
        queued.bytes = bytes.slice();
        queued.bytes[2] = (bytes[2]! + this.#nextLengthDelta) & 0xff;
        this.#nextLengthDelta = 0;
      }
      this.#outbox.push(queued);
    }
    if (this.#outbox.length > 0) this.#setIrq(1);
  }

  #setIrq(level: 0 | 1): void {
    if (level === this.#irqLevel) return;
    this.#irqLevel = level;
    for (const listener of [...this.#edgeListeners]) listener(level);
  }
}

function message(type: number, gid: number, oid: number, payload: readonly number[]): Uint8Array {
  return Uint8Array.of((type << 5) | gid, oid, payload.length, ...payload);
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += (byte < 16 ? '0' : '') + byte.toString(16);
  return text;
}
