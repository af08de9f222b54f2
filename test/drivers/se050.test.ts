// NXP SE050 driver (T=1 over I2C + IoT applet APDUs) on the simulated I2C bus and chip: CRC and
// block fixtures (published captures where they exist, the CRC catalogue otherwise), the APDUs on
// the wire, key generation inside the chip, RFC 8032 signatures from a chip holding the vectors'
// keys, chaining both ways, every bus fault either recovered or a typed Se050Error in bounded time
// (never a wrong signature), and a bounded fuzz of what the chip answers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { commandApdu, eddsaSign, generateEd25519KeyPair, readObject, checkObjectExists, selectIotApplet, tlv, MAX_SIGN_MESSAGE_BYTES } from '../../drivers/se050/apdu.ts';
import { crc16X25, crcMatches } from '../../drivers/se050/crc16-x25.ts';
import { Se050, Se050Error } from '../../drivers/se050/se050.ts';
import { Nad, decodePcb, encodeBlock, iBlockPcb, parseAtr, rBlockPcb, sBlockPcb, SBlockType } from '../../drivers/se050/t1-i2c.ts';
import type { KeyStore } from '../../hal/types.ts';
import { type Se050SimFault, Se050Sim, type Se050SimOptions } from '../../hal/sim/chips/se050.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring, type I2cDevice } from '../../hal/sim/io/wiring.ts';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';
import { rfc8032Vectors } from '../support/rfc8032-vectors.ts';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const isSe050Error = (code?: Se050Error['code']) => (e: unknown): boolean => e instanceof Se050Error && (code === undefined || e.code === code) && /^se050: /.test(e.message);

/** The ATR read from a real SE050 (Nitrokey se05x, src/t1.rs test "atr"). */
const realAtr = '00a0000003960403e800fe020b03e80801000000006400000a4a434f5034204154504f';

test('CRC-16/X-25: the catalogue check value and published vectors', () => {
  const vectors: [Uint8Array, number, string][] = [
    [ascii('123456789'), 0x906e, 'CRC catalogue check value of CRC-16/X-25'],
    [hexToBytes('00305f6ff2'), 0x78a1, 'nxp-se050 crate test, quoted by LinuxJedi/SE050Sim t1.rs'],
    [hexToBytes('5acf00'), 0x7f37, 'S(interface soft reset request), sent as 37 7F (LinuxJedi/SE050Sim)'],
    [hexToBytes('a59000'), 0xe9fb, 'R(N(R)=1) captured from an SE050 on the NXP community forum, sent as FB E9'],
  ];
  for (const [bytes, crc, source] of vectors) assert.is(crc16X25(bytes).toString(16), crc.toString(16), source);
});

// Blocks on the wire. Published: the soft reset request and the real ATR answer (LinuxJedi/SE050Sim
// test_build_atr_response: CRC 87 77), and a GetVersion I-block with M set by mistake plus the SE050's
// R-block acknowledging it, both captured with a logic analyser (NXP community, "SE050 evaluation
// with S32K148", 2021). The rest are computed here and cross-checked against an independent CRC.
const blockFixtures: { name: string; nad: number; pcb: number; inf: string; wire: string }[] = [
  { name: 'S(interface soft reset request)', nad: Nad.hostToChip, pcb: 0xcf, inf: '', wire: '5acf00377f' },
  { name: 'S(interface soft reset response) with the ATR', nad: Nad.chipToHost, pcb: 0xef, inf: realAtr, wire: `a5ef23${realAtr}8777` },
  { name: 'I(N(S)=0, M) GetVersion, captured', nad: Nad.hostToChip, pcb: 0x20, inf: '8004002009', wire: '5a2005800400200966aa' },
  { name: 'R(N(R)=1) acknowledging it, captured', nad: Nad.chipToHost, pcb: 0x90, inf: '', wire: 'a59000fbe9' },
  { name: 'S(RESYNCH request)', nad: Nad.hostToChip, pcb: 0xc0, inf: '', wire: '5ac000fffc' },
  { name: 'S(RESYNCH response)', nad: Nad.chipToHost, pcb: 0xe0, inf: '', wire: 'a5e0003f19' },
  { name: 'S(WTX request) ×1', nad: Nad.chipToHost, pcb: 0xc3, inf: '01', wire: 'a5c301011bdd' },
  { name: 'S(WTX response) ×1', nad: Nad.hostToChip, pcb: 0xe3, inf: '01', wire: '5ae30101f21b' },
  { name: 'R(N(R)=0, CRC error)', nad: Nad.hostToChip, pcb: 0x81, inf: '', wire: '5a810041a3' },
  { name: 'R(N(R)=1, other error)', nad: Nad.hostToChip, pcb: 0x92, inf: '', wire: '5a9200b81c' },
  { name: 'S(end of APDU session request)', nad: Nad.hostToChip, pcb: 0xc5, inf: '', wire: '5ac5004782' },
  { name: 'I(N(S)=0) SELECT of the IoT applet', nad: Nad.hostToChip, pcb: 0x00, inf: '00a4040010a000000396545300000001030000000000', wire: '5a001600a4040010a000000396545300000001030000000000a8c8' },
];

for (const { name, nad, pcb, inf, wire } of blockFixtures) {
  test(`block: ${name}`, () => {
    const block = encodeBlock(nad, pcb, hexToBytes(inf));
    assert.is(bytesToHex(block), wire);
    assert.ok(crcMatches(block));
    const flipped = block.slice();
    flipped[block.length - 3]! ^= 0x01;
    assert.not.ok(crcMatches(flipped), 'one flipped bit fails the CRC');
  });
}

test('PCB encoding (ISO 7816-3 §11.3.2): I, R and S blocks, and the bytes no block may carry', () => {
  const decoded: [number, ReturnType<typeof decodePcb>][] = [
    [0x00, { kind: 'I', ns: 0, more: false }],
    [0x40, { kind: 'I', ns: 1, more: false }],
    [0x20, { kind: 'I', ns: 0, more: true }],
    [0x60, { kind: 'I', ns: 1, more: true }],
    [0x80, { kind: 'R', nr: 0, error: 0 }],
    [0x90, { kind: 'R', nr: 1, error: 0 }],
    [0x81, { kind: 'R', nr: 0, error: 1 }],
    [0x92, { kind: 'R', nr: 1, error: 2 }],
    [0xc0, { kind: 'S', type: SBlockType.resync, response: false }],
    [0xe3, { kind: 'S', type: SBlockType.wtx, response: true }],
    [0xcf, { kind: 'S', type: SBlockType.interfaceSoftReset, response: false }],
    [0xe7, { kind: 'S', type: SBlockType.getAtr, response: true }],
    [0xc5, { kind: 'S', type: SBlockType.endApduSession, response: false }],
    [0xe6, { kind: 'S', type: SBlockType.chipReset, response: true }],
    [0x01, undefined], // I-block reserved bits
    [0x83, undefined], // R-block error 11 is undefined
    [0xa0, undefined], // R-block bit 6 of the type field
    [0x84, undefined],
    [0xc4, undefined], // GlobalPlatform's CIP request: not UM11225
  ];
  for (const [pcb, expected] of decoded) assert.equal(decodePcb(pcb), expected, `0x${pcb.toString(16)}`);
  assert.is(iBlockPcb(1, true), 0x60);
  assert.is(rBlockPcb(1, 1), 0x91);
  assert.is(sBlockPcb(SBlockType.wtx, false), 0xc3);
});

test('the real SE050 ATR: BWT 1000 ms, IFSC 254, MPOT 1 ms, SEGT 100 µs, 1 MHz, "JCOP4 ATPO"; malformed ATRs refused', () => {
  const atr = parseAtr(hexToBytes(realAtr))!;
  assert.equal({ ...atr, historical: String.fromCharCode(...atr.historical) }, { bwtMs: 1000, ifscBytes: 254, maxClockKhz: 1000, mpotMs: 1, segtUs: 100, historical: 'JCOP4 ATPO' });
  assert.is(parseAtr(hexToBytes(realAtr.slice(0, -2))), undefined, 'one byte short');
  assert.is(parseAtr(hexToBytes(`${realAtr}00`)), undefined, 'a trailing byte');
  assert.is(parseAtr(hexToBytes('00a000000396')), undefined);
});

test('APDUs on the wire: SELECT, CheckObjectExists, WriteECKey (generate Ed25519), ReadObject, EdDSASign', () => {
  const id = 0x54430001;
  assert.is(bytesToHex(selectIotApplet()), '00a4040010a000000396545300000001030000000000');
  assert.is(bytesToHex(checkObjectExists(id)), '800400270641045443000100');
  assert.is(bytesToHex(generateEd25519KeyPair(id)), '8001610009410454430001420140');
  assert.is(bytesToHex(readObject(id)), '800200000641045443000100');
  assert.is(bytesToHex(eddsaSign(id, hexToBytes('af82'))), '80030c090d4104544300014201a34302af8200');
  assert.is(bytesToHex(eddsaSign(id, new Uint8Array(0))), '80030c09094104544300014201a300', 'no TLV 0x43 for an empty message');
  const long = eddsaSign(id, new Uint8Array(300));
  assert.is(bytesToHex(long.subarray(0, 7)), '80030c09000139', 'extended Lc: 6 + 3 + 4 + 300 bytes');
  assert.is(bytesToHex(long.subarray(16, 20)), '4382012c', 'TLV length 0x82 012C');
  assert.is(bytesToHex(long.subarray(-2)), '0000', 'extended Le');
  assert.is(bytesToHex(tlv(0x43, new Uint8Array(0x80)).subarray(0, 3)), '438180');
  assert.is(bytesToHex(commandApdu(0x80, 0x04, 0x00, 0x20, new Uint8Array(0), true)), '8004002000');
  assert.is(MAX_SIGN_MESSAGE_BYTES, 879);
});

type RigOptions = { sim?: Partial<Se050SimOptions>; keyId?: number };

function rig(options: RigOptions = {}) {
  const time = new BusTime(new VirtualClock({ startMs: 0 }));
  const wiring = new BoardWiring(time);
  const chip = new Se050Sim({ hz: 400_000, ...options.sim });
  const traffic: string[] = [];
  const recorder: I2cDevice = {
    write: (bytes, atUs) => {
      chip.write(bytes, atUs);
      traffic.push(`> ${bytesToHex(bytes)}`);
    },
    read: (n, atUs) => {
      const bytes = chip.read(n, atUs);
      traffic.push(`< ${bytesToHex(bytes)}`);
      return bytes;
    },
  };
  wiring.i2cBus(21).attach(0x48, recorder);
  wiring.connectDigital(5, chip.enableLine);
  const io = simulatedIo(wiring, {});
  const open = (keyId = options.keyId): Se050 =>
    new Se050({ i2c: { io: io.I2C, data: 21, clock: 22, hz: 400_000 }, enable: { io: io.Digital, pin: 5 }, wait: time.wait, ...(keyId !== undefined ? { keyId } : {}) });
  return { time, chip, traffic, open, driver: open() };
}

const seed = hexToBytes('5e050c0ffee0000000000000000000000000000000000000000000000000001f');

test('the session: soft reset (ATR), then SELECT of the IoT applet; the exact blocks on the bus', () => {
  const { chip, traffic, driver } = rig();
  assert.equal(driver.configure(), { version: '3.1.0', features: 0x3fff });
  const written = traffic.filter((t) => t.startsWith('>'));
  const read = traffic.filter((t) => t.startsWith('<'));
  assert.equal(written, ['> 5acf00377f', '> 5a001600a4040010a000000396545300000001030000000000a8c8']);
  assert.equal(read, [`< a5ef23`, `< ${realAtr}8777`, '< a50009', '< 0301003fff01009000de7d']);
  assert.equal([chip.counters.softResets, chip.counters.selects], [1, 1]);
  driver.configure();
  assert.is(chip.counters.selects, 1, 'configure on an open session sends nothing');
});

test('the key is generated inside the chip, once; its public key in RFC 8032 order is noble\'s for the seed', () => {
  const { chip, driver, open } = rig({ sim: { keySeed: seed } });
  const keyStore: KeyStore = driver; // the SE050 driver is the pile's KeyStore (hal/types)
  assert.not.ok(keyStore.hasKey());
  assert.throws(() => keyStore.publicKey, isSe050Error('no-key'));
  assert.throws(() => keyStore.sign(new Uint8Array(1)), isSe050Error('no-key'));
  const publicKey = keyStore.createKey();
  assert.is(bytesToHex(publicKey), bytesToHex(nobleEd25519.publicKey(seed)));
  assert.ok(keyStore.hasKey() && chip.hasObject(0x54430001));
  assert.throws(() => keyStore.createKey(), (e: unknown) => isSe050Error('key-exists')(e) && /0x54430001 already exists/.test((e as Error).message));
  assert.is(chip.counters.keysGenerated, 1, 'a second createKey generates nothing');
  const copy = keyStore.publicKey;
  copy.fill(0);
  assert.is(bytesToHex(keyStore.publicKey), bytesToHex(publicKey), 'publicKey is a copy');
  const message = ascii('Contract 50a1e00000000017/42');
  const signature = keyStore.sign(message);
  assert.ok(nobleEd25519.verify(signature, message, publicKey));
  assert.is(bytesToHex(signature), bytesToHex(nobleEd25519.sign(message, seed)), 'RFC 8032 signatures are deterministic');
  driver.close();
  const reopened = open();
  assert.is(bytesToHex(reopened.publicKey), bytesToHex(publicKey), 'the key survives a power cycle of the chip and a new session');
  reopened.close();
  const other = open(0x54430002);
  assert.not.ok(other.hasKey(), 'another identifier holds nothing');
});

for (const vector of rfc8032Vectors.filter((v) => ['TEST 1', 'TEST 2', 'TEST 3'].includes(v.name))) {
  test(`RFC 8032 §7.1 ${vector.name}: the chip preloaded with its secret key answers its public key and signature`, () => {
    const { chip, driver } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: hexToBytes(vector.secretKey) } } });
    assert.is(bytesToHex(driver.publicKey), vector.publicKey);
    const signature = driver.sign(hexToBytes(vector.message));
    assert.is(bytesToHex(signature), vector.signature);
    assert.ok(nobleEd25519.verify(signature, hexToBytes(vector.message), hexToBytes(vector.publicKey)));
    assert.is(chip.counters.signatures, 1);
  });
}

test('RFC 8032 TEST 1024 (1023 bytes) is over the chip\'s 879-byte limit: refused before anything is sent', () => {
  const vector = rfc8032Vectors.find((v) => v.name === 'TEST 1024')!;
  const { chip, driver } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: hexToBytes(vector.secretKey) } } });
  assert.throws(() => driver.sign(hexToBytes(vector.message)), (e: unknown) => isSe050Error('message-too-long')(e) && /at most 879 bytes .* got 1023/.test((e as Error).message));
  assert.is(chip.counters.apdus, 0);
  assert.throws(() => driver.sign('abc' as unknown as Uint8Array), /"message" expected Uint8Array/);
  const longest = hexToBytes(vector.message).subarray(0, MAX_SIGN_MESSAGE_BYTES);
  assert.is(bytesToHex(driver.sign(longest)), bytesToHex(nobleEd25519.sign(longest, hexToBytes(vector.secretKey))));
});

test('chaining both ways: an 879-byte message in 254-byte I-blocks, small IFSC, an answer chained by the chip', () => {
  const message = new Uint8Array(MAX_SIGN_MESSAGE_BYTES).map((_, i) => (i * 7) & 0xff);
  const expected = bytesToHex(nobleEd25519.sign(message, seed));
  const plain = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
  plain.driver.configure();
  assert.is(bytesToHex(plain.driver.sign(message)), expected);
  assert.is(plain.chip.counters.chainedBlocksReceived, 3, '901 bytes of APDU: three 254-byte blocks with M, then the rest');
  const small = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed }, ifscBytes: 32, sendChunkBytes: 16 } });
  small.driver.configure();
  assert.is(bytesToHex(small.driver.sign(message)), expected);
  assert.is(small.chip.counters.chainedBlocksReceived, Math.ceil(901 / 32) - 1, 'the host follows the IFSC of the ATR');
  assert.is(small.chip.counters.chainedBlocksSent, Math.ceil(70 / 16) - 1, 'a 70-byte answer in 16-byte blocks, each acknowledged');
});

test('a signature takes the chip\'s signing time on the bus; one longer than BWT is covered by WTX', () => {
  const normal = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
  normal.driver.configure();
  let start = normal.time.nowUs();
  normal.driver.sign(new Uint8Array(64));
  const signUs = normal.time.nowUs() - start;
  assert.ok(signUs >= 100_000 && signUs < 110_000, `${signUs} µs for a 100 ms signature at 400 kHz`);
  assert.is(normal.chip.counters.wtxRequests, 0);
  const slow = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed }, signMs: 2500 } });
  slow.driver.configure();
  start = slow.time.nowUs();
  assert.is(bytesToHex(slow.driver.sign(new Uint8Array(64))), bytesToHex(nobleEd25519.sign(new Uint8Array(64), seed)));
  assert.ok(slow.time.nowUs() - start >= 2_500_000);
  assert.is(slow.chip.counters.wtxRequests, 1, 'one S(WTX request) with a multiplier covering the rest');
});

test('a variant without EdDSA (an SE050A: feature bit 0x0004 clear) is refused when the session opens', () => {
  const { driver } = rig({ sim: { appletFeatures: 0x3ffb } });
  assert.throws(() => driver.configure(), (e: unknown) => isSe050Error('unsupported')(e) && /features 0x3ffb/.test((e as Error).message));
});

const recovered: { fault: Se050SimFault; count: number; check: (c: Se050Sim['counters']) => boolean; what: string; minUs?: number }[] = [
  { fault: 'crc', count: 1, check: (c) => c.retransmissions === 1, what: 'R(CRC error), the chip sends its block again' },
  { fault: 'crc', count: 2, check: (c) => c.retransmissions === 2 && c.resyncs === 0, what: 'two retransmissions, still no resynchronisation' },
  { fault: 'crc', count: 3, check: (c) => c.resyncs === 1 && c.selects === 2 && c.signatures === 2, what: 'S(RESYNCH), a new SELECT, the command again' },
  { fault: 'len', count: 1, check: (c) => c.retransmissions === 1, what: 'a wrong LEN fails the CRC: retransmission' },
  { fault: 'cut', count: 1, check: (c) => c.retransmissions === 1, what: 'a block cut short: retransmission' },
  { fault: 'garbage', count: 1, check: (c) => c.retransmissions === 1, what: 'noise instead of a block: retransmission' },
  { fault: 'noise-in', count: 1, check: (c) => c.badBlocksReceived === 1 && c.signatures === 1, what: 'the chip answers R(CRC error), the host sends its block again' },
  { fault: 'nack', count: 10, check: (c) => c.blocksReceived === 1 && c.resyncs === 0, what: 'a busy chip: the host polls its address', minUs: 110_000 },
  { fault: 'wtx', count: 2, check: (c) => c.wtxRequests === 2, what: 'two S(WTX request)s answered, then the signature', minUs: 1_100_000 },
  { fault: 'reset', count: 1, check: (c) => c.resets === 1 && c.resyncs === 1 && c.selects === 2, what: 'a reset mid-block: RESYNCH, SELECT again, the command again' },
];

for (const { fault, count, check, what, minUs = 100_000 } of recovered) {
  test(`fault "${fault}" ×${count} is recovered transparently: ${what}`, () => {
    const { chip, driver, time } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
    driver.configure();
    const before = chip.counters;
    chip.inject(fault, count);
    const message = ascii(`receipt after ${fault}`);
    const start = time.nowUs();
    assert.is(bytesToHex(driver.sign(message)), bytesToHex(nobleEd25519.sign(message, seed)));
    const after = chip.counters;
    const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as Se050Sim['counters'];
    assert.ok(check({ ...delta, selects: after.selects }), JSON.stringify(delta));
    assert.ok(time.nowUs() - start >= minUs, `${time.nowUs() - start} µs: the signing time and what the fault adds`);
  });
}

test('a power glitch between commands: the chip forgot its T=1 state and its applet; RESYNCH or SELECT, then the signature', () => {
  const { chip, driver, time } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
  driver.configure();
  for (const round of [1, 2, 3]) {
    chip.enableLine.drive!(0, time.nowUs());
    chip.enableLine.drive!(1, time.nowUs());
    time.wait(10);
    const message = ascii(`after glitch ${round}`);
    assert.is(bytesToHex(driver.sign(message)), bytesToHex(nobleEd25519.sign(message, seed)), `round ${round}`);
  }
  const { resets, resyncs, selects, sequenceErrors } = chip.counters;
  assert.is(resets, 3);
  assert.is(selects, 4, 'the applet selected again after each glitch');
  assert.ok(resyncs >= 1 && sequenceErrors >= 1, 'a host N(S) of 1 meets a chip expecting 0: R-blocks, then RESYNCH');
});

const fatal: { name: string; arm: (chip: Se050Sim) => void; codes: Se050Error['code'][]; boundMs: number }[] = [
  { name: 'no answer at all', arm: (chip) => chip.inject('silent'), codes: ['no-answer'], boundMs: 200 },
  { name: 'CRC errors on every block', arm: (chip) => chip.inject('crc', 10_000), codes: ['bad-crc'], boundMs: 500 },
  { name: 'persistent garbage', arm: (chip) => chip.inject('garbage', 10_000), codes: ['protocol', 'bad-crc'], boundMs: 500 },
  { name: 'endless waiting-time extensions', arm: (chip) => chip.inject('wtx', 1000), codes: ['no-answer'], boundMs: 20_000 },
  { name: 'a chip that keeps resetting', arm: (chip) => chip.inject('reset', 10_000), codes: ['protocol'], boundMs: 500 },
];

for (const { name, arm, codes, boundMs } of fatal) {
  test(`${name}: a typed Se050Error (${codes.join(' or ')}) within ${boundMs} ms of bus time, never a signature; then it signs again`, () => {
    const { chip, driver, time } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
    driver.configure();
    arm(chip);
    const start = time.nowUs();
    assert.throws(() => driver.sign(ascii('never signed')), (e: unknown) => e instanceof Se050Error && codes.includes(e.code));
    assert.ok(time.nowUs() - start < boundMs * 1000, `${(time.nowUs() - start) / 1000} ms`);
    chip.clear();
    time.wait(10); // past a reset's deaf time
    const message = ascii('signed after the fault');
    assert.is(bytesToHex(driver.sign(message)), bytesToHex(nobleEd25519.sign(message, seed)), 'the next call opens a new session');
  });
}

test('a missing chip: no-answer when the session opens, within a bounded time', () => {
  const { chip, driver, time } = rig();
  chip.inject('silent');
  assert.throws(() => driver.configure(), isSe050Error('no-answer'));
  assert.ok(time.nowUs() < 100_000);
});

test('close ends the APDU session and powers the chip down; a new driver powers it up and finds the key', () => {
  const { chip, driver, open, traffic } = rig({ sim: { keySeed: seed } });
  const publicKey = driver.createKey();
  driver.close();
  assert.ok(traffic.includes('> 5ac5004782'), 'S(end of APDU session request)');
  const resetsBefore = chip.counters.resets;
  const again = open();
  assert.is(bytesToHex(again.publicKey), bytesToHex(publicKey));
  assert.is(chip.counters.resets, resetsBefore + 1, 'power-up after ENA went low and high');
});

test('bad options are refused', () => {
  const { open } = rig();
  assert.throws(() => open(0), /"keyId" expected/);
  assert.throws(() => open(0x7fff0206), /outside 0x7fff02xx/);
});

// signWhile: the pile verifies the tap's signature while the chip signs its answer.
const signed = (message: Uint8Array): string => bytesToHex(nobleEd25519.sign(message, seed));

test('signWhile: the work runs once, after EdDSASign is on the bus and before the answer is read; the same signature as sign', () => {
  const { chip, driver, traffic } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
  driver.configure();
  const message = ascii('Contract 50a1e00000000018/43');
  let seen: { apdus: number; lastTraffic: string } | undefined;
  let runs = 0;
  const signature = driver.signWhile(message, () => {
    runs++;
    seen = { apdus: chip.counters.apdus, lastTraffic: traffic.at(-1)! };
  });
  assert.is(runs, 1);
  assert.is(bytesToHex(signature), signed(message));
  assert.is(seen!.apdus, 2, 'SELECT, then EdDSASign received by the chip');
  assert.ok(seen!.lastTraffic.startsWith('> 5a4'), `the last thing on the bus was our I-block: ${seen!.lastTraffic}`);
  assert.ok(traffic.at(-1)!.startsWith('< '), 'the answer was read after the work');
});

test('signWhile: work that takes bus time elsewhere overlaps the chip\'s 100 ms signature instead of adding to it', () => {
  const busUs = (workMs: number): number => {
    const { driver, time } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
    driver.configure();
    const start = time.nowUs();
    const message = ascii(`overlap ${workMs}`);
    assert.is(bytesToHex(driver.signWhile(message, () => time.wait(workMs))), signed(message));
    return time.nowUs() - start;
  };
  const alone = busUs(0);
  assert.ok(alone >= 100_000 && alone < 110_000, `${alone} µs`);
  const within = busUs(60);
  assert.ok(Math.abs(within - alone) <= 1000, `60 ms of other work within the signing time: ${within} µs vs ${alone} µs`);
  const longer = busUs(150);
  assert.ok(longer >= 150_000 && longer < alone + 51_000, `150 ms of work: the answer is waiting once it is done (${longer} µs)`);
});

test('signWhile: a throwing work still lets the answer be read (the link stays in step), then its error is thrown', () => {
  const { chip, driver } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
  driver.configure();
  const before = chip.counters;
  assert.throws(() => driver.signWhile(ascii('dropped'), () => {
    throw new Error('verify blew up');
  }), /verify blew up/);
  const message = ascii('next');
  assert.is(bytesToHex(driver.sign(message)), signed(message));
  const after = chip.counters;
  assert.equal([after.resyncs - before.resyncs, after.retransmissions - before.retransmissions, after.softResets - before.softResets, after.signatures - before.signatures], [0, 0, 0, 2],
    'no recovery needed: the dropped answer was read out');
});

for (const { fault, count } of [{ fault: 'crc', count: 3 }, { fault: 'cut', count: 1 }, { fault: 'nack', count: 10 }, { fault: 'wtx', count: 2 }, { fault: 'reset', count: 1 }, { fault: 'noise-in', count: 1 }] as const) {
  test(`signWhile under fault "${fault}" ×${count}: recovered, the work ran exactly once`, () => {
    const { chip, driver } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
    driver.configure();
    chip.inject(fault, count);
    let runs = 0;
    const message = ascii(`overlapped after ${fault}`);
    assert.is(bytesToHex(driver.signWhile(message, () => void runs++)), signed(message));
    assert.is(runs, 1);
  });
}

for (const { name, arm } of [
  { name: 'a silent chip (the command never goes out)', arm: (chip: Se050Sim) => chip.inject('silent') },
  { name: 'CRC errors on every block', arm: (chip: Se050Sim) => chip.inject('crc', 10_000) },
  { name: 'a chip that keeps resetting', arm: (chip: Se050Sim) => chip.inject('reset', 10_000) },
]) {
  test(`signWhile with ${name}: Se050Error, the work ran exactly once; a work error wins over the chip's`, () => {
    const { chip, driver } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed } } });
    driver.configure();
    arm(chip);
    let runs = 0;
    assert.throws(() => driver.signWhile(ascii('never signed'), () => void runs++), (e: unknown) => e instanceof Se050Error);
    assert.is(runs, 1);
    assert.throws(() => driver.signWhile(ascii('never signed'), () => {
      throw new Error('work fault');
    }), /work fault/);
  });
}

// Bounded fuzz: arbitrary bytes in place of the chip's next blocks, structured to reach every layer
// (raw noise, blocks with a valid CRC and any PCB, I-blocks carrying random answers). The driver may
// only throw Se050Error; a signature it returns must be the right one; afterwards it signs normally.
const FUZZ_ITERATIONS = 5000;
const FUZZ_MAX_MS = 60_000;

test(`fuzz: ${FUZZ_ITERATIONS} random answers from the chip side: Se050Error or the right result, never anything else`, () => {
  const { chip, driver } = rig({ sim: { preloadedKey: { objectId: 0x54430001, secretKey: seed }, signMs: 5 } });
  const random = new SeededRandom(0x5e050f22);
  const message = ascii('fuzzed contract');
  const expected = bytesToHex(nobleEd25519.sign(message, seed));
  const pcbs = [0x00, 0x40, 0x20, 0x60, 0x80, 0x90, 0x81, 0x92, 0xc0, 0xe0, 0xc3, 0xe3, 0xcf, 0xef, 0xc5, 0xe5];
  const randomBytes = (n: number): Uint8Array => {
    const bytes = new Uint8Array(n);
    random.fill(bytes);
    return bytes;
  };
  const fuzzBlock = (): Uint8Array => {
    const inf = randomBytes(random.below(8) === 0 ? random.below(253) : random.below(12));
    switch (random.below(4)) {
      case 0: return randomBytes(random.below(300));
      case 1: return encodeBlock(Nad.chipToHost, random.below(256), inf);
      case 2: return encodeBlock(Nad.chipToHost, pcbs[random.below(pcbs.length)]!, inf);
      default: return encodeBlock(Nad.chipToHost, random.below(2) << 6, Uint8Array.of(...inf, ...[[0x90, 0x00], [0x6d, 0x00], [0x69, 0x85]][random.below(3)]!));
    }
  };
  const started = Date.now();
  const outcomes = { signed: 0, hasKey: 0, errors: 0 };
  let iterations = 0;
  for (; iterations < FUZZ_ITERATIONS && Date.now() - started < FUZZ_MAX_MS; iterations++) {
    chip.replaceNextBlocks(Array.from({ length: 1 + random.below(3) }, fuzzBlock));
    try {
      if (iterations % 2 === 0) {
        assert.is(bytesToHex(driver.sign(message)), expected);
        outcomes.signed++;
      } else {
        assert.ok(driver.hasKey());
        outcomes.hasKey++;
      }
    } catch (error) {
      if (!(error instanceof Se050Error)) throw error;
      outcomes.errors++;
    }
  }
  chip.clear();
  assert.ok(outcomes.signed > 0 && outcomes.hasKey > 0 && outcomes.errors > 0, JSON.stringify(outcomes));
  assert.is(bytesToHex(driver.sign(message)), expected, 'a normal signature afterwards');
});

test.run();
