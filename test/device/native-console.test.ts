// The service console on the native Moddable build (x-cli-lin), over a real tty: a socat pty pair,
// the native pile (`tapcharge console TTY`, host-console.ts: Moddable's lin `embedded:io/serial`
// under boards/serial-service-port.ts) on one end, and on the other the host's protocol code
// (contracts-offline/console) over `serialport`, as `tapcharge provision` talks to a pile. A blank
// pile is identified, makes its key, is provisioned with a ServiceAuthorization signed here by a
// relay key made here, and reports itself provisioned; a second provisioning, garbage, a bad CRC
// and an oversized frame each get their error answer and change nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { concatBytes } from '../../contracts-offline/bytes.ts';
import { cobsEncode } from '../../contracts-offline/console/cobs.ts';
import { CONSOLE_FRAME_MAX_BYTES, FrameReader, encodeFrame } from '../../contracts-offline/console/frame.ts';
import { type ConsoleAnswer, type ConsoleAnswerMap, type ConsoleCommand, type ConsoleRequestMap, decodeConsoleAnswer, encodeConsoleRequest } from '../../contracts-offline/console/messages.ts';
import { crc32 } from '../../contracts-offline/crc32.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { buildHostExecutable, hostExecutable } from '../support/host-build.ts';
import { findModdable } from '../support/moddable.ts';
import { openPtyPair } from '../support/pty-pair.ts';
import { signedAuthorization, signedPileUpdate } from '../support/console-signing.ts';

/** How long a step may hang before the test gives up on it (a guard against a hang, not a timing assertion). */
const HANG_GUARD_MS = 60_000;

function guard<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS)));
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

/** The native pile's stdout until its XS-CONSOLE line: the console listens. */
function consoleListening(pile: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    pile.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('XS-CONSOLE ')) resolve();
    });
    pile.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    pile.once('exit', (status, signal) => reject(new Error(`the native pile exited (${status ?? signal}):\n${stdout}${stderr}`)));
  });
}

/** The technician's end of the tty: frames requests, reads answers in order. */
class TtyConsole {
  readonly #port: SerialPort;
  readonly #reader = new FrameReader();
  readonly #answers: ConsoleAnswer[] = [];
  #waiting: ((answer: ConsoleAnswer) => void) | undefined;
  #nextId = 1;

  constructor(port: SerialPort) {
    this.#port = port;
    port.on('data', (bytes: Buffer) => {
      for (const event of this.#reader.push(new Uint8Array(bytes))) {
        if (!event.ok) throw new Error(`the pile sent a bad frame: ${event.reason}`);
        const answer = decodeConsoleAnswer(event.body);
        if (!answer.ok) throw new Error(`the pile sent an undecodable answer: ${answer.reason}`);
        this.#answers.push(answer.value);
        this.#deliver();
      }
    });
  }

  /** Write raw bytes; answers the pile's next answer. */
  send(bytes: Uint8Array): Promise<ConsoleAnswer> {
    const next = new Promise<ConsoleAnswer>((resolve) => {
      this.#waiting = resolve;
      this.#deliver();
    });
    this.#port.write(Buffer.from(bytes));
    return guard(next, 'the pile did not answer');
  }

  async ask<C extends ConsoleCommand>(command: C, request: Omit<ConsoleRequestMap[C], 'requestId'>): Promise<ConsoleAnswer> {
    const requestId = this.#nextId++;
    const answer = await this.send(encodeFrame(encodeConsoleRequest(command, { ...request, requestId } as ConsoleRequestMap[C])));
    assert.is(answer.command === 'Error' ? answer.error.requestId : answer.answer.requestId, requestId, `the answer to ${command} echoes its request id`);
    return answer;
  }

  /** Nothing the pile sent is left unread. */
  get unread(): number {
    return this.#answers.length;
  }

  #deliver(): void {
    if (!this.#waiting || this.#answers.length === 0) return;
    const resolve = this.#waiting;
    this.#waiting = undefined;
    resolve(this.#answers.shift()!);
  }
}

function answerOf<C extends ConsoleCommand>(answer: ConsoleAnswer, command: C): ConsoleAnswerMap[C] {
  if (answer.command === 'Error') throw new Error(`${command} refused: ${answer.error.code}: ${answer.error.reason}`);
  assert.is(answer.command, command);
  return answer.answer as ConsoleAnswerMap[C];
}

function errorOf(answer: ConsoleAnswer): { requestId: number; code: string } {
  if (answer.command !== 'Error') throw new Error(`expected an error answer, got ${answer.command}`);
  return { requestId: answer.error.requestId, code: answer.error.code };
}

const moddable = findModdable();
if ('skipped' in moddable) {
  console.log(`device:host console tests skipped: ${moddable.skipped}`);
} else {
  buildHostExecutable(moddable);

  test('native host build, over a pty pair: blank → key → provisioned; refusals and bad frames answered, nothing changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapcharge-native-console-'));
    const pty = await openPtyPair(join(dir, 'pile-tty'), join(dir, 'technician-tty'));
    const pile = spawn(hostExecutable, ['console', pty.a]);
    let port: SerialPort | undefined;
    try {
      await guard(consoleListening(pile), 'the native pile did not start its console');
      port = new SerialPort({ path: pty.b, baudRate: 115_200 });
      await guard(new Promise<void>((resolve, reject) => port!.once('open', resolve).once('error', reject)), `opening ${pty.b}`);
      const technician = new TtyConsole(port);

      const blank = answerOf(await technician.ask('Identify', {}), 'Identify');
      assert.is(blank.board, 'host');
      assert.is(blank.provisioning, 'blank');
      assert.is(blank.pilePublicKey.length, 0, 'no key yet');
      assert.is(blank.pileId.length, 0);

      const { pilePublicKey } = answerOf(await technician.ask('CreateKey', {}), 'CreateKey');
      assert.is(pilePublicKey.length, 32);
      assert.is(errorOf(await technician.ask('CreateKey', {})).code, 'refused', 'a key is never replaced');

      const relay = generateKeyPair();
      const pileId = crypto.getRandomValues(new Uint8Array(8));
      const provision = async (challenge: Uint8Array) =>
        technician.ask('Provision', {
          pileId,
          relayPublicKey: relay.publicKey,
          pilePublicKey,
          pileUpdate: signedPileUpdate(pileId, 1, relay.secretKey),
          authorization: signedAuthorization({ pileId, pilePublicKey, challenge, scope: 'provision', secretKey: relay.secretKey }),
          firstBillingSeq: 1,
        });
      const withKey = answerOf(await technician.ask('Identify', {}), 'Identify');
      assert.equal(withKey.pilePublicKey, pilePublicKey);
      assert.is(errorOf(await provision(blank.challenge)).code, 'unauthorized', 'an authorisation for an earlier challenge is stale');
      const provisioned = answerOf(await provision(withKey.challenge), 'Provision');
      assert.equal(provisioned.pileId, pileId);
      assert.is(provisioned.configVersion, 1);

      const identified = answerOf(await technician.ask('Identify', {}), 'Identify');
      assert.is(identified.provisioning, 'provisioned');
      assert.equal(identified.pileId, pileId);
      assert.equal(identified.pilePublicKey, pilePublicKey);
      assert.is(identified.configVersion, 1);
      assert.is(identified.fault, '');
      assert.is(errorOf(await provision(identified.challenge)).code, 'refused', 'a second provisioning is refused');

      const status = answerOf(await technician.ask('Status', {}), 'Status');
      assert.is(status.unacknowledged, 0);
      assert.is(status.journalTotalBytes, 0x10000);
      assert.ok(status.journalUsedBytes > 0, 'the provisioning record is in the journal');
      assert.is(status.meterEnergyWh, 1_000_000, 'the meter register, read over the simulated RS-485 bus');

      const garbage = errorOf(await technician.send(Uint8Array.of(0x07, 0x55, 0xaa, 0x00)));
      assert.equal(garbage, { requestId: 0, code: 'bad-frame' });
      const body = encodeConsoleRequest('Identify', { requestId: 77 });
      const crc = (crc32(body) ^ 1) >>> 0;
      const badCrc = concatBytes(cobsEncode(concatBytes(body, Uint8Array.of(crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24))), Uint8Array.of(0));
      assert.equal(errorOf(await technician.send(badCrc)), { requestId: 0, code: 'bad-crc' });
      const oversized = concatBytes(new Uint8Array(CONSOLE_FRAME_MAX_BYTES + 100).fill(0x42), Uint8Array.of(0));
      assert.equal(errorOf(await technician.send(oversized)), { requestId: 0, code: 'oversized' });

      const after = answerOf(await technician.ask('Identify', {}), 'Identify');
      assert.is(after.provisioning, 'provisioned');
      assert.equal(after.pileId, pileId);
      assert.is(technician.unread, 0, 'one answer per request or bad frame, no more');
    } finally {
      if (port?.isOpen) await new Promise((resolve) => port!.close(resolve));
      pile.kill('SIGKILL');
      await pty.close();
    }
  });
}

test.run();
