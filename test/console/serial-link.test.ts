// tools/console/serial-link.ts over a real pseudo-terminal pair (socat): bytes both ways, and each
// refusal of the operating system as the ConsoleLinkError a technician can act on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsoleLinkError } from '../../tools/console/errors.ts';
import { type SerialLink, openSerialLink } from '../../tools/console/serial-link.ts';
import { type PtyPair, openPtyPair } from '../support/pty-pair.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-serial-link-'));
const link = suite<{ pty: PtyPair }>('serial link', { pty: undefined as unknown as PtyPair });

link.before(async (context) => {
  context.pty = await openPtyPair(join(dir, 'pile-tty'), join(dir, 'host-tty'));
});

link.after(async ({ pty }) => {
  await pty.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(path: string): Promise<ConsoleLinkError> {
  try {
    const opened = await openSerialLink(path);
    await opened.close();
  } catch (error) {
    assert.instance(error, ConsoleLinkError);
    return error as ConsoleLinkError;
  }
  throw new Error(`${path} opened`);
}

function received(end: SerialLink, count: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const got: number[] = [];
    end.setReceiver((bytes) => {
      got.push(...bytes);
      if (got.length >= count) resolve(Uint8Array.from(got));
    });
  });
}

link('bytes written at one end arrive unchanged at the other, both ways, every byte value', async ({ pty }) => {
  const pile = await openSerialLink(pty.a);
  const host = await openSerialLink(pty.b);
  try {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const atPile = received(pile, all.length);
    host.write(all);
    assert.equal(await atPile, all);
    const atHost = received(host, 3);
    pile.write(Uint8Array.of(0x00, 0x0a, 0x0d));
    assert.equal(await atHost, Uint8Array.of(0x00, 0x0a, 0x0d));
  } finally {
    await host.close();
    await pile.close();
  }
});

link('a port another program holds is refused as busy; after it closes, it opens', async ({ pty }) => {
  const first = await openSerialLink(pty.b);
  const busy = await refusal(pty.b);
  assert.is(busy.code, 'port-busy');
  assert.is(busy.message, `port ${pty.b} is in use by another program (close it, then try again)`);
  await first.close();
  await (await openSerialLink(pty.b)).close();
});

link('a missing port, a plain file, a folder: each refused with what to do', async () => {
  const missing = await refusal('/dev/ttyNOSUCH9');
  assert.is(missing.code, 'no-such-port');
  assert.is(missing.message, 'no such port /dev/ttyNOSUCH9: see `tapcharge ports`');
  const file = join(dir, 'not-a-port');
  writeFileSync(file, 'x');
  for (const path of [file, dir, '/dev/null']) {
    const refused = await refusal(path);
    assert.is(refused.code, 'not-a-serial-port', path);
    assert.is(refused.message, `${path} is not a serial port: see \`tapcharge ports\``);
  }
});

link('writing after close is refused with link-lost, not sent', async ({ pty }) => {
  const host = await openSerialLink(pty.b);
  await host.close();
  try {
    host.write(Uint8Array.of(1));
    assert.unreachable('write after close');
  } catch (error) {
    assert.instance(error, ConsoleLinkError);
    assert.is((error as ConsoleLinkError).code, 'link-lost');
  }
});

link.run();
