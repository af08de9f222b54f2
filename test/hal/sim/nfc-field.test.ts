import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NfcFieldSim, NfcTagLostError } from '../../../hal/sim/nfc-field.ts';
import type { NfcCardHandler } from '../../../hal/types.ts';

const lost = (e: unknown) => e instanceof NfcTagLostError;

function recordingCard() {
  const events: string[] = [];
  const handler: NfcCardHandler = {
    onFieldOn: () => events.push('on'),
    onFieldOff: () => events.push('off'),
    onApdu: (command) => {
      events.push(`apdu ${command.length}`);
      return Uint8Array.of(command[1]!, 0x90, 0x00);
    },
  };
  return { events, handler };
}

test('a tap: field on, APDUs in order, field off; bytes and APDUs counted', () => {
  const field = new NfcFieldSim();
  const { events, handler } = recordingCard();
  field.setHandler(handler);
  const tap = field.tap();
  assert.equal([...tap.transceive(Uint8Array.of(0x00, 0xa4, 0x04, 0x00))], [0xa4, 0x90, 0x00]);
  tap.transceive(Uint8Array.of(0x80, 0x10, 0, 0, 1, 7));
  tap.end();
  assert.equal(events, ['on', 'apdu 4', 'apdu 6', 'off']);
  assert.equal(tap.stats, { apdus: 2, commandBytes: 10, responseBytes: 6 });
  assert.is(field.taps, 1);
});

test('field lost mid-exchange: the card sees field off once, the reader gets tag lost', () => {
  const field = new NfcFieldSim();
  const { events, handler } = recordingCard();
  field.setHandler(handler);
  const tap = field.tap();
  tap.loseField();
  assert.throws(() => tap.transceive(Uint8Array.of(0, 0xb0, 0, 0)), lost);
  tap.end();
  assert.equal(events, ['on', 'off']);
  const next = field.tap();
  assert.throws(() => next.transceiveThenLoseField(Uint8Array.of(0, 0xb0, 0, 0)), lost);
  assert.equal(events.slice(2), ['on', 'apdu 4', 'off'], 'the card processed the command, then lost the field');
  assert.is(next.active, false);
});

test('no card registered: the phone finds no tag', () => {
  const field = new NfcFieldSim();
  assert.throws(() => field.tap(), lost);
});

test('reader limits: command 4..261 bytes; card answers must be 2..258 bytes', () => {
  const field = new NfcFieldSim();
  field.setHandler({ onFieldOn() {}, onFieldOff() {}, onApdu: (c) => new Uint8Array(c[4] === 1 ? 1 : 259) });
  const tap = field.tap();
  assert.throws(() => tap.transceive(new Uint8Array(262)), /4\.\.261 bytes, got 262/);
  assert.throws(() => tap.transceive(Uint8Array.of(0, 0, 0, 0, 1)), /card answered 1 bytes/);
  assert.throws(() => tap.transceive(Uint8Array.of(0, 0, 0, 0, 2)), /card answered 259 bytes/);
  assert.throws(() => field.tap(), /already in progress/);
});

test('selfTest answers outside a tap and refuses during one, leaving the tap running', () => {
  const field = new NfcFieldSim();
  const { events, handler } = recordingCard();
  assert.is(field.selfTest(), 'simulated RF field');
  field.setHandler(handler);
  const tap = field.tap();
  assert.throws(() => field.selfTest(), /sim\/nfc: a tap is in progress/);
  assert.equal([...tap.transceive(Uint8Array.of(0x00, 0xb0, 0, 0))], [0xb0, 0x90, 0x00]);
  tap.end();
  assert.equal(events, ['on', 'apdu 4', 'off']);
  assert.is(field.selfTest(), 'simulated RF field');
});

test.run();
