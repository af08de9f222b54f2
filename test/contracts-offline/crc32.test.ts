import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32 } from '../../contracts-offline/crc32.ts';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

test('CRC-32/ISO-HDLC published vectors', () => {
  const vectors: [string, number][] = [
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926], // the catalogue check value
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ];
  for (const [text, crc] of vectors) assert.is(crc32(ascii(text)), crc, JSON.stringify(text));
});

test('start/end select a range', () => {
  assert.is(crc32(ascii('xx123456789yy'), 2, 11), 0xcbf43926);
});

test.run();
