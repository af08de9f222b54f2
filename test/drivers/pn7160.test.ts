// PN7160 driver (NCI 2.0 over I2C, ISO-DEP card emulation) against the bus-level simulation of the
// chip, with the simulated field and phone (hal/sim/nfc-field.ts) as the air: the NCI byte layouts,
// the set-up the chip sees, whole taps, segmentation and credits both ways, and every fault of the
// chip, the bus and the field ending in a clean state — with nothing malformed reaching onApdu.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { isCommandApdu } from '../../drivers/pn7160/apdu.ts';
import { ResetType, commands, parseActivation, parseCredits, parseDeactivation, parseInitResponse, parseResetNotification } from '../../drivers/pn7160/messages.ts';
import { CoreOid, Gid, RfOid, controlPacket, dataPackets, decodePacket } from '../../drivers/pn7160/nci.ts';
import { Pn7160, type Pn7160Fault } from '../../drivers/pn7160/pn7160.ts';
import type { NfcCardHandler } from '../../hal/types.ts';
import { Pn7160Sim, type Pn7160SimOptions } from '../../hal/sim/chips/pn7160.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring } from '../../hal/sim/io/wiring.ts';
import { NfcFieldSim, NfcTagLostError, type NfcTap } from '../../hal/sim/nfc-field.ts';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';
import { nciExchange } from './pn7160-sim-exchange.ts';

const hex = (bytes: Uint8Array): string => bytesToHex(bytes);
const bytes = (text: string): Uint8Array => hexToBytes(text.replace(/ /g, ''));

// ---------------------------------------------------------------------------------------------
// The byte layouts

test('commands encode to the bytes NXP\'s own card-emulation host code sends', () => {
  // NXP-NCI MCU examples (as carried in the Electronic Cats PN7150/PN7160 library): CORE_RESET
  // with configuration reset, the NCI 2.0 CORE_INIT, LA_SEL_INFO = ISO-DEP, the card-emulation
  // discover map and ISO-DEP → host routing entry; NFC-A passive listen discovery; deactivation to
  // discovery (NCI RF_DEACTIVATE_CMD, type 3).
  const vectors: [string, Uint8Array, string][] = [
    ['CORE_RESET_CMD (reset configuration)', controlPacket('command', Gid.core, CoreOid.reset, commands.coreReset(ResetType.resetConfiguration)), '20000101'],
    ['CORE_INIT_CMD (NCI 2.0, no features)', controlPacket('command', Gid.core, CoreOid.init, commands.coreInit()), '2001020000'],
    ['CORE_SET_CONFIG_CMD LA_SEL_INFO', controlPacket('command', Gid.core, CoreOid.setConfig, commands.setIsoDepSelInfo()), '20020401320120'],
    ['RF_DISCOVER_MAP_CMD ISO-DEP, listen', controlPacket('command', Gid.rf, RfOid.discoverMap, commands.mapIsoDepListen()), '21000401040202'],
    ['RF_SET_LISTEN_MODE_ROUTING_CMD', controlPacket('command', Gid.rf, RfOid.setListenModeRouting, commands.routeIsoDepToHost()), '21010700010103000104'],
    ['RF_DISCOVER_CMD NFC-A passive listen', controlPacket('command', Gid.rf, RfOid.discover, commands.discoverNfcAListen()), '210303018001'],
    ['RF_DEACTIVATE_CMD discovery', controlPacket('command', Gid.rf, RfOid.deactivate, commands.deactivate(3)), '21060103'],
  ];
  for (const [name, packet, expected] of vectors) assert.is(hex(packet), expected, name);
  assert.equal(dataPackets(0, bytes('aabbccddee'), 2).map(hex), ['1000' + '02aabb', '1000' + '02ccdd', '000001ee'], 'PBF on every segment but the last');
  assert.equal(dataPackets(0, bytes('9000'), 255).map(hex), ['0000029000']);
});

test('packets decode by their header; a length or message type that does not fit is an error', () => {
  const decoded = (text: string) => {
    const packet = decodePacket(bytes(text));
    if ('error' in packet) return packet;
    return packet.kind === 'data'
      ? { kind: 'data', last: packet.last, connId: packet.connId, credits: packet.credits, payload: hex(packet.payload) }
      : { kind: 'control', type: packet.type, last: packet.last, gid: packet.gid, oid: packet.oid, payload: hex(packet.payload) };
  };
  assert.equal(decoded('40000100'), { kind: 'control', type: 'response', last: true, gid: 0, oid: 0, payload: '00' }, 'CORE_RESET_RSP, NCI 2.0: status only');
  assert.equal(decoded('6006030100 01'), { kind: 'control', type: 'notification', last: true, gid: 0, oid: 6, payload: '010001' }, 'CORE_CONN_CREDITS_NTF');
  // A PN7150's CORE_RESET_NTF after an internal reboot, as posted on NXP's community forum: any
  // notification GID 0 OID 0 the host did not ask for means the controller rebooted.
  assert.equal(decoded('600006a000f79f2000'), { kind: 'control', type: 'notification', last: true, gid: 0, oid: 0, payload: 'a000f79f2000' });
  assert.equal(decoded('00000500a4040000'), { kind: 'data', last: true, connId: 0, credits: 0, payload: '00a4040000' });
  assert.equal(decoded('10010300a404'), { kind: 'data', last: false, connId: 0, credits: 1, payload: '00a404' }, 'PBF and a returned credit');
  assert.match((decoded('600007') as { error: string }).error, /announces 7 payload bytes, packet carries 0/);
  assert.match((decoded('e00000') as { error: string }).error, /message type 7 is RFU/);
  assert.match((decoded('6005') as { error: string }).error, /3-byte header, got 2/);
});

test('message payloads parse strictly', () => {
  // RF_INTF_ACTIVATED_NTF logged from a PN7150 (NXPNFCLinux/nxp-pn5xx issue 24): ISO-DEP interface
  // and protocol, NFC-A passive poll, 255-byte payloads, 1 credit, 9 bytes of NFC-A parameters,
  // 5 bytes of activation parameters.
  const pollActivation = bytes('01020400ff010904000408c97c5e0120000000050478807802');
  assert.equal(parseActivation(pollActivation), { discoveryId: 1, rfInterface: 2, protocol: 4, mode: 0x00, maxDataPayload: 255, credits: 1 });
  assert.ok('error' in parseActivation(pollActivation.subarray(0, 24)), 'one byte short');
  // The listen-mode activation the NCI 2.0 layout gives for ISO-DEP on NFC-A: no technology
  // parameters, one activation parameter (byte 2 of RATS).
  assert.equal(parseActivation(bytes('01020480ff01 00 800000 01 80')), { discoveryId: 1, rfInterface: 2, protocol: 4, mode: 0x80, maxDataPayload: 255, credits: 1 });
  assert.equal(parseResetNotification(bytes('02012004 04 1250051e')), { trigger: 2, configurationStatus: 1, nciVersion: 0x20, manufacturerId: 4, manufacturerInfo: bytes('1250051e') });
  assert.ok('error' in parseResetNotification(bytes('a000f79f2000')), 'the PN7150 reboot notice is not an NCI 2.0 CORE_RESET_NTF layout');
  const init = bytes('00 00000000 01 0002 ff ff 01 0001 02 0100 0201 05');
  assert.equal(parseInitResponse(init), { maxControlPayload: 255, interfaces: [1, 2] }, 'an interface with one extension');
  assert.ok('error' in parseInitResponse(init.subarray(0, init.length - 1)), 'the list ends inside an entry');
  assert.equal(parseCredits(bytes('010001')), [{ connId: 0, credits: 1 }]);
  assert.ok('error' in parseCredits(bytes('02000101')));
  assert.ok('error' in parseCredits(bytes('00')));
  assert.equal(parseDeactivation(bytes('0302')), { type: 3, reason: 2 });
  assert.ok('error' in parseDeactivation(bytes('0702')));
});

test('a command APDU has one of the seven ISO/IEC 7816-4 shapes', () => {
  const cases: [string, boolean][] = [
    ['00a40400', true], // case 1
    ['00b0000000', true], // case 2, short
    ['00a4040007f001020304050600', true], // case 4, short
    ['00a4040007f0010203040506', true], // case 3, short
    ['00b000000000ff', true], // case 2, extended
    ['00d60000000002aabb', true], // case 3, extended
    ['00d60000000002aabb0100', true], // case 4, extended
    ['00a404', false],
    ['00a4040007f001', false], // Lc says 7, 2 follow
    ['00a4040007f001020304050600ff', false], // a byte too many
    ['00d600000000', false], // extended Lc of 0
  ];
  for (const [command, expected] of cases) assert.is(isCommandApdu(bytes(command)), expected, command);
});

// ---------------------------------------------------------------------------------------------
// The simulated chip on its own

test('the simulated chip answers the NCI 2.0 set-up and refuses what is out of place with NCI status codes', () => {
  const chip = new Pn7160Sim();
  chip.ven.drive(1, 0);
  const exchange = nciExchange(chip);
  assert.throws(() => new Pn7160Sim().write(bytes('20000101'), 0), /no acknowledge from address 0x28/, 'off: VEN low');
  assert.equal(exchange('2001020000'), ['40010104'], 'CORE_INIT before CORE_RESET: STATUS_NOT_INITIALIZED');
  assert.equal(exchange('2000020101'), ['40000105'], 'CORE_RESET with two bytes: STATUS_SYNTAX_ERROR');
  assert.equal(exchange('20000101'), ['40000100', '6000090201200404' + '1250051e'], 'response, then CORE_RESET_NTF');
  assert.equal(exchange('210303018001'), ['41030104'], 'RF_DISCOVER before CORE_INIT');
  assert.equal(exchange('20010100'), ['40010105'], 'CORE_INIT of one byte');
  const [init] = exchange('2001020000');
  assert.ok(!('error' in parseInitResponse(bytes(init!).subarray(3))), 'CORE_INIT_RSP in the NCI 2.0 layout');
  assert.equal(exchange('21060100'), ['41060106'], 'RF_DEACTIVATE in idle: STATUS_SEMANTIC_ERROR');
  assert.equal(exchange('20020401990100'), ['4002030901' + '99'], 'unknown parameter: STATUS_INVALID_PARAM naming it');
  assert.equal(exchange('2002050132012000'), ['40020105'], 'a parameter list longer than its count');
  assert.equal(exchange('21000401040209'), ['41000109'], 'an RF interface that does not exist');
  assert.equal(exchange('210303018001'), ['41030100']);
  assert.equal(exchange('210303018001'), ['410301a0'], 'DISCOVERY_ALREADY_STARTED');
  assert.equal(exchange('21000401040202'), ['41000106'], 'RF_DISCOVER_MAP outside idle');
  assert.equal(exchange('600000'), ['60070105'], 'a notification from the host: CORE_GENERIC_ERROR_NTF(SYNTAX_ERROR)');
  assert.equal(exchange('20000201'), ['60070105'], 'a length that disagrees with the header');
  assert.equal(exchange('22000100'), ['42000107'], 'GID 2: STATUS_UNKNOWN_GID');
  assert.equal(exchange('0000029000'), ['6008020600'], 'data with no RF interface active: CORE_INTERFACE_ERROR_NTF');
  assert.is(chip.packetsRejected, 14);
  assert.is(chip.state, 'discovery');
  assert.is(chip.creditMisuse, 0);
});

// ---------------------------------------------------------------------------------------------
// Driver and chip

/** A card application that checks the NfcCardHandler contract on every call and echoes commands. */
class CheckingCard implements NfcCardHandler {
  readonly events: string[] = [];
  readonly violations: string[] = [];
  answer: (command: Uint8Array) => Uint8Array = echo;
  #open = false;

  onFieldOn(): void {
    if (this.#open) this.violations.push('onFieldOn during a tap');
    this.#open = true;
    this.events.push('on');
  }

  onFieldOff(): void {
    if (!this.#open) this.violations.push('onFieldOff without onFieldOn');
    this.#open = false;
    this.events.push('off');
  }

  onApdu(command: Uint8Array): Uint8Array {
    if (!this.#open) this.violations.push('onApdu outside a tap');
    if (!isShortOrExtendedApdu(command)) this.violations.push(`onApdu got ${hex(command)}`);
    this.events.push(`apdu ${command.length > 16 ? `${command.length} bytes` : hex(command)}`);
    return this.answer(command);
  }
}

/** The ISO/IEC 7816-4 command shapes, written again here as the test's own oracle. */
function isShortOrExtendedApdu(c: Uint8Array): boolean {
  if (c.length === 4 || c.length === 5) return true;
  if (c.length < 7 && c[4] === 0) return false;
  if (c.length > 5 && c[4] !== 0) return c.length - 5 === c[4] || c.length - 6 === c[4];
  const lc = (c[5]! << 8) + c[6]!;
  return c.length === 7 || (lc > 0 && (c.length === 7 + lc || c.length === 9 + lc));
}

/** READ BINARY answers 256 bytes; anything else answers its data field; then 90 00. */
function echo(command: Uint8Array): Uint8Array {
  if (command[1] === 0xb0) return Uint8Array.from({ length: 258 }, (_, i) => (i === 256 ? 0x90 : i === 257 ? 0x00 : i & 0xff));
  const data = command.length > 5 ? command.subarray(5, 5 + command[4]!) : new Uint8Array(0);
  return Uint8Array.of(...data, 0x90, 0x00);
}

const select = bytes('00a4040007f001020304050600');
const readBinary = bytes('00b0000000');

function rig(options: Pn7160SimOptions = {}) {
  const time = new BusTime(new VirtualClock({ startMs: 0 }));
  const wiring = new BoardWiring(time);
  const chip = new Pn7160Sim(options);
  const bus = wiring.i2cBus(21);
  bus.attach(0x28, chip);
  wiring.connectDigital(34, chip.irq);
  wiring.connectDigital(25, chip.ven);
  const field = new NfcFieldSim();
  field.setHandler(chip.antenna);
  const io = simulatedIo(wiring, {});
  const reported: string[] = [];
  const driver = new Pn7160({
    i2c: { io: io.I2C, data: 21, clock: 22 },
    irq: { io: io.Digital, pin: 34 },
    ven: { io: io.Digital, pin: 25 },
    wait: time.wait,
    onError: (fault, detail) => reported.push(`${fault}: ${detail}`),
  });
  const card = new CheckingCard();
  driver.setHandler(card);
  return { time, bus, chip, field, driver, card, reported };
}

type Rig = ReturnType<typeof rig>;

function faultsSeen(driver: Pn7160): Partial<Record<Pn7160Fault, number>> {
  return Object.fromEntries(Object.entries(driver.faults).filter(([, count]) => count > 0));
}

/** A tap that works: SELECT answered, field off, the card told once each way; the bus used rightly. */
function assertTapWorks({ field, card, chip, driver }: Rig, why: string): void {
  const before = card.events.length;
  const tap = field.tap();
  assert.is(hex(tap.transceive(select)), 'f00102030405069000', why);
  tap.end();
  assert.equal(card.events.slice(before), ['on', `apdu ${hex(select)}`, 'off'], why);
  assert.equal(card.violations, [], why);
  assert.is(driver.state, 'discovery', why);
  assert.is(chip.creditMisuse, 0, why);
  assert.is(chip.writesWithIrqHigh, 0, why);
}

function assertTagLost(action: () => unknown, why: string): void {
  assert.throws(action, (error: unknown) => error instanceof NfcTagLostError, why);
}

test('set-up: VEN, then CORE_RESET, CORE_INIT, LA_SEL_INFO, discover map, routing, and listen discovery once a handler is set', () => {
  const { chip, driver } = rig();
  assert.equal(chip.commandLog, ['20000101', '2001020000', '20020401320120', '21000401040202', '21010700010103000104', '210303018001']);
  assert.is(chip.boots, 1);
  assert.is(chip.state, 'discovery');
  assert.is(driver.state, 'discovery');
  assert.is(chip.packetsRejected, 0);
  assert.is(chip.writesWithIrqHigh, 0);
  assert.equal(faultsSeen(driver), {});
  driver.setHandler(undefined);
  assert.is(chip.commandLog.at(-1), '21060100', 'no handler: RF_DEACTIVATE to idle, no card in the field');
  assert.is(driver.state, 'idle');
  assert.is(chip.state, 'idle');
  assert.throws(() => driver.configure({ creditTimeoutMs: 0 }), /"creditTimeoutMs" expected an integer in 1..5000, got 0/);
});

test('a whole tap: field on, SELECT in, answer out, field off', () => {
  const r = rig();
  assertTapWorks(r, 'first tap');
  assertTapWorks(r, 'second tap');
  assert.equal(faultsSeen(r.driver), {});
  assert.equal(r.reported, []);
  assert.is(r.chip.packetsRejected, 0);
});

test('segmentation both ways: a 260-byte command and a 258-byte answer in 32-byte packets, one credit at a time', () => {
  const r = rig({ maxDataPayload: 32, initialCredits: 1 });
  const tap = r.field.tap();
  const data = Uint8Array.from({ length: 255 }, (_, i) => (i * 7) & 0xff);
  const update = Uint8Array.of(0x00, 0xd6, 0x00, 0x00, 0xff, ...data);
  assert.equal(tap.transceive(update), Uint8Array.of(...data, 0x90, 0x00), 'the command reassembled from 9 packets, the answer sent in 9');
  const long = tap.transceive(readBinary);
  assert.is(long.length, 258);
  assert.equal(long.subarray(0, 256), Uint8Array.from({ length: 256 }, (_, i) => i));
  tap.end();
  assert.equal(r.card.events, ['on', 'apdu 260 bytes', `apdu ${hex(readBinary)}`, 'off']);
  assert.is(r.chip.creditMisuse, 0, 'each packet waited for its credit');
  assert.is(r.chip.packetsRejected, 0);
  assert.equal(faultsSeen(r.driver), {});
});

test('credits withheld: nothing is sent without one, the tap is given up once and the next one works', () => {
  const r = rig({ maxDataPayload: 32 });
  r.chip.faults.withholdCredits();
  const tap = r.field.tap();
  assertTagLost(() => tap.transceive(readBinary), 'the answer never completes');
  assert.equal(r.card.events, ['on', `apdu ${hex(readBinary)}`, 'off']);
  assert.equal(faultsSeen(r.driver), { 'no-credit': 1 });
  assert.is(r.chip.creditMisuse, 0, 'one packet on the one credit, then nothing');
  assert.is(r.chip.commandLog.at(-1), '21060103', 'RF_DEACTIVATE to discovery');
  assert.is(r.chip.state, 'discovery');
  tap.end();
  assert.equal(r.card.events, ['on', `apdu ${hex(readBinary)}`, 'off'], 'no second onFieldOff');
  r.chip.faults.withholdCredits(false);
  assertTapWorks(r, 'after the credits flow again');
});

test('the field drops: after an answer, during one, and between commands; onFieldOff once each time', () => {
  const r = rig();
  let tap: NfcTap = r.field.tap();
  assertTagLost(() => tap.transceiveThenLoseField(select), 'answer made, then the phone moved away');
  assert.equal(r.card.events, ['on', `apdu ${hex(select)}`, 'off']);
  assertTapWorks(r, 'after a drop after the answer');

  r.card.events.length = 0;
  tap = r.field.tap();
  r.card.answer = (command) => {
    tap.loseField(); // the phone moves away while the pile works on the answer
    return echo(command);
  };
  assertTagLost(() => tap.transceive(select), 'the card left before it answered');
  assert.equal(r.card.events, ['on', `apdu ${hex(select)}`, 'off']);
  assert.is(r.chip.packetsRejected, 0, 'no answer sent to a field that is gone');
  r.card.answer = echo;
  assertTapWorks(r, 'after a drop during the answer');

  r.card.events.length = 0;
  tap = r.field.tap();
  tap.transceive(select);
  tap.loseField();
  assertTagLost(() => tap.transceive(select), 'the tap is over');
  assert.equal(r.card.events, ['on', `apdu ${hex(select)}`, 'off']);
  assertTapWorks(r, 'after a drop between commands');
  assert.equal(faultsSeen(r.driver), {});
});

test('a packet cut short is dropped: a command never reaches onApdu, an activation never opens a tap', () => {
  const r = rig();
  let tap = r.field.tap();
  r.chip.faults.cutNextPacket();
  assertTagLost(() => tap.transceive(select), 'the command was cut on the bus');
  tap.end();
  assert.equal(r.card.events, ['on', 'off']);
  assert.equal(faultsSeen(r.driver), { 'cut-short': 1 });
  assertTapWorks(r, 'after a cut command');

  r.card.events.length = 0;
  r.chip.faults.cutNextPacket();
  tap = r.field.tap(); // its RF_INTF_ACTIVATED_NTF is cut
  assertTagLost(() => tap.transceive(select), 'a command outside a tap is not answered');
  tap.end();
  assert.equal(r.card.events, []);
  assert.equal(faultsSeen(r.driver), { 'cut-short': 2, unexpected: 1 });
  assertTapWorks(r, 'after a cut activation');
});

test('a wrong length byte is caught: too long runs out (cut short), too short leaves a command that is not an APDU', () => {
  const r = rig();
  let tap = r.field.tap();
  r.chip.faults.wrongLength(2);
  assertTagLost(() => tap.transceive(select), 'length two bytes too long');
  tap.end();
  assert.equal(faultsSeen(r.driver), { 'cut-short': 1 });
  assertTapWorks(r, 'after a length too long');

  tap = r.field.tap();
  r.chip.faults.wrongLength(-2);
  assertTagLost(() => tap.transceive(select), 'length two bytes too short');
  tap.end();
  assert.ok(r.driver.faults.malformed >= 1, JSON.stringify(faultsSeen(r.driver)));
  assertTapWorks(r, 'after a length too short');

  r.chip.faults.wrongLength(-1);
  tap = r.field.tap(); // its activation loses a byte: the layout check refuses it
  assertTagLost(() => tap.transceive(select), 'no tap was opened');
  tap.end();
  assert.equal(r.card.events.filter((event) => event.startsWith('apdu')).length, 2, 'only the working taps reached onApdu');
  assertTapWorks(r, 'after an activation of the wrong length');
  assert.equal(r.card.violations, []);
});

test('garbage on the bus is dropped, idle or between the commands of a tap', () => {
  const r = rig();
  r.chip.faults.garbage(bytes('ff0102'));
  r.chip.faults.garbage(bytes('6005'));
  assert.is(r.driver.state, 'discovery');
  const tap = r.field.tap();
  assert.is(hex(tap.transceive(select)), 'f00102030405069000');
  r.chip.faults.garbage(bytes('e0000401020304'));
  assert.is(hex(tap.transceive(select)), 'f00102030405069000', 'the tap goes on');
  tap.end();
  assert.equal(r.card.events, ['on', `apdu ${hex(select)}`, `apdu ${hex(select)}`, 'off']);
  // ff 01 02 and 60 05 announce more than they carry: IRQ falls before their last byte.
  assert.equal(faultsSeen(r.driver), { 'cut-short': 2, malformed: 1 });
  assert.is(r.reported.length, Object.values(r.driver.faults).reduce((sum, n) => sum + n, 0), 'each fault reported');
  assert.match(r.reported[0]!, /^(malformed|cut-short): pn7160: /);
  assertTapWorks(r, 'after garbage');
});

test('a controller reset during a command: onFieldOff, set up again from VEN, the next tap works', () => {
  const r = rig();
  const tap = r.field.tap();
  r.card.answer = (command) => {
    r.chip.faults.resetController(); // watchdog reset while the pile works on the answer
    return echo(command);
  };
  assertTagLost(() => tap.transceive(select), 'the card is gone with the reset');
  tap.end();
  assert.equal(r.card.events, ['on', `apdu ${hex(select)}`, 'off']);
  assert.equal(faultsSeen(r.driver), { 'controller-reset': 1 });
  assert.is(r.chip.boots, 2, 'VEN cycled');
  assert.equal(r.chip.commandLog.slice(-6), ['20000101', '2001020000', '20020401320120', '21000401040202', '21010700010103000104', '210303018001']);
  r.card.answer = echo;
  assertTapWorks(r, 'after the reset');

  r.chip.faults.resetController(); // and while idle in discovery
  assert.is(r.chip.boots, 3);
  assert.is(r.driver.state, 'discovery');
  assertTapWorks(r, 'after a reset while idle');
});

test('a stuck IRQ: three reads with nothing valid, then VEN and a new set-up', () => {
  const r = rig();
  r.chip.faults.stuckIrq();
  assert.equal(faultsSeen(r.driver), { malformed: 3, 'stuck-irq': 1 });
  assert.is(r.chip.boots, 2);
  assert.is(r.driver.state, 'discovery');
  assertTapWorks(r, 'after the stuck IRQ');
});

test('bad input never reaches onApdu: a malformed command, data outside a tap, a second activation, a foreign one', () => {
  const r = rig();
  let tap = r.field.tap();
  assertTagLost(() => tap.transceive(bytes('00a4040007f001')), 'Lc says 7 bytes, 2 follow');
  assert.is(hex(tap.transceive(select)), 'f00102030405069000', 'the tap goes on');
  tap.end();
  assert.equal(r.card.events, ['on', `apdu ${hex(select)}`, 'off']);

  r.chip.faults.garbage(bytes('000005 00a4040000'));
  assert.equal(r.card.events.length, 3, 'data outside a tap');

  r.card.events.length = 0;
  tap = r.field.tap();
  r.chip.faults.garbage(bytes('61050c 01020480ff01 00 800000 01 80')); // activated again, no deactivation between
  assert.equal(r.card.events, ['on', 'off']);
  assert.is(r.chip.commandLog.at(-1), '21060103', 'RF_DEACTIVATE to discovery');
  assertTagLost(() => tap.transceive(select), 'the card was deactivated');
  tap.end();

  r.card.events.length = 0;
  // A poll-mode activation (a PN7150 log, NXPNFCLinux/nxp-pn5xx issue 24): not the mapping set up.
  r.chip.faults.garbage(bytes('61051901020400ff010904000408c97c5e0120000000050478807802'));
  assert.equal(r.card.events, []);
  assert.equal(faultsSeen(r.driver), { malformed: 1, unexpected: 3, rejected: 1 });
  assertTapWorks(r, 'after the foreign activation');
  assert.equal(r.card.violations, []);
});

test('fuzz: 5,000 random packets from the chip side; the contract holds, nothing throws, a tap works after', () => {
  const r = rig({ maxDataPayload: 64, initialCredits: 2 });
  const random = new SeededRandom(7160);
  const pick = <T>(items: readonly T[]): T => items[random.below(items.length)]!;
  const randomBytes = (length: number): number[] => Array.from({ length }, () => random.below(256));
  const notifications: (() => number[])[] = [
    () => [0x61, 0x05, ...withLength([random.below(3), pick([0x02, 0x01, random.below(256)]), pick([0x04, random.below(8)]), pick([0x80, 0x00, random.below(256)]), random.below(256), random.below(4), 0, 0x80, 0, 0, 1, 0x80])],
    () => [0x61, 0x06, ...withLength([random.below(5), random.below(5)])],
    () => [0x60, 0x06, ...withLength([1, random.below(2), random.below(4)])],
    () => [0x60, 0x07, ...withLength([pick([0xa0, 0xa1, 0xa2])])],
    () => [0x60, 0x08, ...withLength([pick([0xb0, 0xb1, 0xb2]), random.below(2)])],
    () => [0x60, 0x00, ...withLength([random.below(3), 1, 0x20, 4, 0])],
    () => [0x40 | random.below(2), random.below(8), ...withLength(randomBytes(random.below(4)))],
  ];
  function withLength(payload: number[]): number[] {
    return [payload.length, ...payload];
  }
  const apdus = ['00a4040002f00100', '00b0000010', '80ca9f7f00', '00a40400', '0084000008'];
  const deadline = performance.now() + 30_000;
  let injected = 0;
  for (; injected < 5000 && performance.now() < deadline; injected++) {
    const kind = random.below(10);
    let packet: number[];
    if (kind < 3) packet = pick(notifications)();
    else if (kind < 6) {
      const payload = random.below(2) ? [...bytes(pick(apdus))] : randomBytes(random.below(40));
      packet = [(random.below(4) ? 0x00 : 0x10) | (random.below(8) ? 0 : random.below(16)), random.below(8) ? 0 : random.below(256), ...withLength(payload)];
    } else packet = randomBytes(1 + random.below(40));
    if (random.below(8) === 0 && packet.length > 2) packet[2] = random.below(256); // a length byte that lies
    r.chip.faults.garbage(Uint8Array.from(packet));
  }
  assert.is(injected, 5000, 'bounded in time only as a safeguard');
  assert.equal(r.card.violations, [], 'onApdu only inside a tap and only well-formed; onFieldOff once per onFieldOn');
  const faults = faultsSeen(r.driver);
  assert.ok((faults.malformed ?? 0) > 100 && (faults.unexpected ?? 0) > 100 && (faults['controller-reset'] ?? 0) > 10, JSON.stringify(faults));
  assert.ok(r.card.events.includes('on') && r.card.events.some((event) => event.startsWith('apdu')), 'the fuzz reached taps and onApdu');
  assert.is(r.chip.creditMisuse, 0);
  assert.is(r.chip.writesWithIrqHigh, 0);
  // Whatever tap the random bytes announced ends as a real one would: the field goes (RF_DEACTIVATE_NTF).
  r.chip.faults.garbage(bytes('6106020302'));
  assertTapWorks(r, 'after the fuzz');
});

test('a chip that does not answer leaves the driver failed, not thrown; configure sets it up once it answers', () => {
  const r = rig();
  r.bus.detach(0x28);
  r.driver.configure();
  assert.is(r.driver.state, 'failed');
  assert.equal(faultsSeen(r.driver), { bus: 1 });
  assert.match(r.reported[0]!, /^bus: pn7160: I2C: sim\/i2c: no acknowledge from address 0x28$/);
  const tap = r.field.tap();
  assertTagLost(() => tap.transceive(select), 'no card while the chip is down');
  tap.end();
  r.bus.attach(0x28, r.chip);
  r.driver.configure({ creditTimeoutMs: 50 });
  assert.is(r.driver.settings.creditTimeoutMs, 50);
  assert.equal(r.card.events, []);
  assertTapWorks(r, 'once the chip answers');
});

test('close ends the tap, powers the chip down and frees the pins', () => {
  const r = rig();
  const tap = r.field.tap();
  r.driver.close();
  assert.equal(r.card.events, ['on', 'off']);
  assert.is(r.chip.state, 'off');
  assertTagLost(() => tap.transceive(select), 'no card once the chip is off');
  r.driver.close();
  assert.is(r.driver.state, 'off');
});

test.run();
