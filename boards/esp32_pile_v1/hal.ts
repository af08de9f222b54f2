// The v1 board's PileHal on the ESP32: the ECMA-419 IO of Moddable's ESP32 host (the classes of
// the board's `embedded:provider/builtin`, host/provider.ts; `embedded:storage/flash` on the
// "journal" partition of partitions.csv), Moddable's timers and
// clock, the ESP32's hardware RNG (random.c: esp_fill_random), the drivers assembled by
// boards/pile-board.ts from the pin and bus table in board.ts, and the service console's port on
// the USB-UART bridge's UART (boards/serial-service-port.ts), and the uplink on the ECMA-419
// WebSocket client (uplink-socket.ts; names looked up by lwIP through `Net.resolve`). Type-checked
// and compiled by `npm run device:esp32` against $MODDABLE/typings; it runs only on the board.
import TCP from 'embedded:io/socket/tcp';
import WebSocketClient from 'embedded:network/websocket/client';
import device from 'embedded:provider/builtin';
import flash from 'embedded:storage/flash';
import Net from 'net';
import Time from 'time';
import Timer from 'timer';
import type { Clock, PileHal, Random } from '../../hal/types.ts';
import { type PileBoardDrivers, assemblePileHal } from '../pile-board.ts';
import { SerialServicePort } from '../serial-service-port.ts';
import { pileBoardV1 } from './board.ts';
import { Ecma419UplinkSocket } from './uplink-socket.ts';

const fillRandom = native('xs_pile_random_fill') as (bytes: Uint8Array) => void;

/**
 * Moddable `Timer` behind the HAL clock (timer ids are numbers in the HAL, objects in Moddable);
 * `Time.set` sets the system clock in whole seconds (timers run on their own tick count).
 */
function moddableClock(): Clock {
  const timers = new Map<number, Timer>();
  let nextId = 1;
  return {
    nowMs: () => Date.now(),
    setNowMs: (nowMs) => Time.set(Math.floor(nowMs / 1000)),
    setTimer(callback, delayMs, repeatMs = 0) {
      const id = nextId++;
      const timer = Timer.set(() => {
        if (repeatMs === 0) timers.delete(id);
        callback();
      }, delayMs, repeatMs);
      timers.set(id, timer);
      return id;
    },
    clearTimer(id) {
      const timer = timers.get(id);
      if (timer === undefined) return;
      Timer.clear(timer);
      timers.delete(id);
    },
  };
}

const hardwareRandom: Random = Object.freeze({ fill: (bytes: Uint8Array) => fillRandom(bytes) });

export function pileBoardV1Hal(): { hal: PileHal; drivers: PileBoardDrivers } {
  const io = { ...device.io, flash };
  const board = assemblePileHal(io, pileBoardV1, { clock: moddableClock(), random: hardwareRandom, wait: (ms) => Timer.delay(ms) });
  board.hal.servicePort = new SerialServicePort({ io: device.io.Serial, ...pileBoardV1.servicePort });
  board.hal.uplink = new Ecma419UplinkSocket({
    webSocket: WebSocketClient,
    tcp: TCP,
    lookup: (name, callback) => Net.resolve(name, callback),
    defer: (callback) => Timer.set(callback, 0),
  });
  return board;
}
