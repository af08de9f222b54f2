// Uplink bench: the relay's work for piles connected over OCPP 1.6J, in two parts. First the CPU
// per networked session (uplink-sessions.ts: simulated piles on the real firmware, phones opening
// channels through the relay). Then how many idle piles one relay process holds: the relay runs in
// a process of its own (uplink-relay-process.ts) so /proc gives its CPU time and memory alone; this
// process runs the piles' real OCPP client (firmware/ocpp: OcppRpc + OcppClient, identity proven
// with each pile's key) over the host WebSocket uplink, all on one virtual clock driven by the
// wall clock. Measured: the relay's live memory (after a full GC) per proven connection, its CPU
// per connection (handshake, identity proof, BootNotification, two StatusNotifications) and per
// Heartbeat; the heartbeats run at a short interval so the window holds thousands, and the cost
// is then scaled to the relay's default interval (300 s).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../contracts-offline/bytes.ts';
import { Configuration } from '../firmware/ocpp/configuration.ts';
import { OcppClient } from '../firmware/ocpp/ocpp-client.ts';
import { OcppRpc } from '../firmware/ocpp/rpc.ts';
import { SeededRandom } from '../hal/sim/seeded-random.ts';
import { VirtualClock } from '../hal/sim/virtual-clock.ts';
import { sodiumEd25519 } from '../tools/sodium-ed25519.ts';
import { WsUplinkSocket } from '../tools/pile-sim/uplink-socket.ts';
import { defaultOcppSettings } from '../tools/relay/ocpp/settings.ts';
import { benchPileKey } from './uplink-relay-process.ts';
import { relayCpuMs, startRelayProcess } from './uplink-relay.ts';
import { benchNetworkedSessions } from './uplink-sessions.ts';

const PILES = Number(process.env.UPLINK_BENCH_PILES ?? 2000);
/** The heartbeat interval of the measuring window, s: short, so the window holds PILES × WINDOW_S / HEARTBEAT_S heartbeats. */
const HEARTBEAT_S = 10;
const WINDOW_S = 30;
const CONNECT_BATCH = 100;
const CONNECT_LIMIT_S = 180;

/** The host uplink, counting the Heartbeat CALLs the pile sends. */
class CountingUplink extends WsUplinkSocket {
  static heartbeats = 0;
  override send(text: string): boolean {
    const sent = super.send(text);
    if (sent && text.startsWith('[2,') && text.includes('"Heartbeat"')) CountingUplink.heartbeats++;
    return sent;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function benchIdlePiles(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tapcharge-uplink-bench-'));
  const relay = await startRelayProcess(dataDir, PILES, HEARTBEAT_S);
  const clock = new VirtualClock({ startMs: Date.now() });
  let wallMs = Date.now();
  const pump = setInterval(() => {
    const now = Date.now();
    clock.advance(now - wallMs);
    wallMs = now;
  }, 50);
  const clients: OcppClient[] = [];
  try {
    await sleep(2000);
    const idle = await relay.memory();
    const cpuBeforeMs = relayCpuMs(relay.pid);
    const connectStarted = performance.now();
    for (let i = 0; i < PILES; i++) {
      const key = benchPileKey(i);
      const rpc = new OcppRpc(new CountingUplink(), clock, new SeededRandom(i + 1), () => {}, {
        url: relay.ocppUrl + bytesToHex(key.kid), callTimeoutMs: 30_000, reconnectMinMs: 1000, reconnectMaxMs: 60_000,
      });
      const client = new OcppClient(rpc, clock, new Configuration({ heartbeatIntervalS: 900, numberOfConnectors: 1 }), () => {}, {
        chargePoint: { vendor: 'tapcharge', model: 'bench-pile', serialNumber: bytesToHex(key.kid) },
        connectorCount: 1,
        bootRetryS: 30,
        identity: { pileId: key.kid, kid: key.kid, sign: (message) => sodiumEd25519.sign(message, key.secretKey) },
      });
      client.statusChanged(0, 'Available', 'NoError');
      client.statusChanged(1, 'Available', 'NoError');
      client.start();
      clients.push(client);
      if (i % CONNECT_BATCH === CONNECT_BATCH - 1) await sleep(100);
    }
    while (clients.some((c) => c.registration !== 'Accepted')) {
      if (performance.now() - connectStarted > CONNECT_LIMIT_S * 1000) throw new Error(`uplink bench: ${clients.filter((c) => c.registration !== 'Accepted').length} piles not Accepted after ${CONNECT_LIMIT_S} s`);
      await sleep(200);
    }
    const connectS = (performance.now() - connectStarted) / 1000;
    await sleep(3000); // the connector states after Accepted
    const connectCpuMs = relayCpuMs(relay.pid) - cpuBeforeMs;
    const held = await relay.memory();

    const windowCpuMs = relayCpuMs(relay.pid);
    const windowHeartbeats = CountingUplink.heartbeats;
    await sleep(WINDOW_S * 1000);
    const heartbeats = CountingUplink.heartbeats - windowHeartbeats;
    const heartbeatCpuMs = (relayCpuMs(relay.pid) - windowCpuMs) / heartbeats;

    const perPileKb = (held.liveKb - idle.liveKb) / PILES;
    const defaultS = defaultOcppSettings.heartbeatIntervalS;
    const cpuBoundPiles = Math.floor((defaultS * 1000) / heartbeatCpuMs);
    const memoryBoundPiles = Math.floor((1024 * 1024) / perPileKb);
    console.log(`method: ${PILES} piles (the firmware's OCPP client, identity proven with each pile's key) connected over ws on 127.0.0.1 to one relay process (SQLite);`);
    console.log(`relay CPU read from /proc/<pid>, its memory after a full GC in it (V8 heap used + external; RSS); heartbeats every ${HEARTBEAT_S} s during a ${WINDOW_S} s window (${heartbeats} heartbeats), the CPU per heartbeat scaled to the default ${defaultS} s interval.\n`);
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| piles connected and proven by one relay process | ${PILES} (in ${connectS.toFixed(1)} s, no refusal) |`);
    console.log(`| relay live memory (heap used + external): idle → with ${PILES} piles | ${(idle.liveKb / 1024).toFixed(0)} → ${(held.liveKb / 1024).toFixed(0)} MiB (${perPileKb.toFixed(1)} KiB per pile) |`);
    console.log(`| relay RSS: idle → with ${PILES} piles | ${(idle.rssKb / 1024).toFixed(0)} → ${(held.rssKb / 1024).toFixed(0)} MiB |`);
    console.log(`| relay CPU per pile connecting (handshake, proof, BootNotification, 2 × StatusNotification) | ${(connectCpuMs / PILES).toFixed(2)} ms |`);
    console.log(`| relay CPU per Heartbeat | ${heartbeatCpuMs.toFixed(3)} ms |`);
    console.log(`| idle piles per core at the ${defaultS} s heartbeat (CPU only) | ${cpuBoundPiles.toLocaleString('en')} |`);
    console.log(`| idle piles per GiB of relay live memory | ${memoryBoundPiles.toLocaleString('en')} |`);
    console.log(`| a reconnect storm of every pile at once costs the relay | ${((connectCpuMs / PILES) * Math.min(cpuBoundPiles, memoryBoundPiles) / 1000).toFixed(0)} CPU s for ${Math.min(cpuBoundPiles, memoryBoundPiles).toLocaleString('en')} piles |`);
  } finally {
    clearInterval(pump);
    for (const client of clients) client.stop();
    relay.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log('### Networked sessions\n');
await benchNetworkedSessions();
console.log('\n### Idle piles one relay process holds\n');
await benchIdlePiles();
