// The uplink bench's first half: the relay's CPU per networked session (R9). The relay runs in a
// process of its own (uplink-relay-process.ts, no bench piles); this process runs SIMULATED piles
// on the real firmware (hal/sim + bootPile, registered and provisioned from the relay's answer, the
// uplink a real WebSocket), plugged vehicles, and phones (the phone SDK) that open a channel,
// start, watch the live status over SSE and stop through the relay. The piles' clocks are virtual:
// moved one metering period (1 s) at a time, each step waited out until no CALL is in flight on
// any uplink (tools/system-day/uplink-traffic.ts), as sim-system.ts `advanceSettled` does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyPair } from '../contracts-offline/keys.ts';
import { bootPile, type PileHandle } from '../firmware/pile.ts';
import { provisionPile } from '../firmware/provisioning/provision-pile.ts';
import { EvSim } from '../hal/sim/ev.ts';
import { createSimulatedPile, type SimulatedPile } from '../hal/sim/simulated-pile.ts';
import { readKeyFile } from '../tools/key-file.ts';
import type { ChannelSession } from '../tools/phone/channel-session.ts';
import { Phone } from '../tools/phone/phone.ts';
import { RelayClient } from '../tools/phone/relay-client.ts';
import { WsUplinkSocket } from '../tools/pile-sim/uplink-socket.ts';
import { defaultOcppSettings } from '../tools/relay/ocpp/settings.ts';
import { UplinkTraffic } from '../tools/system-day/uplink-traffic.ts';
import { CallCountingUplink, type CallCounts, newCallCounts } from './uplink-call-count.ts';
import { type RelayProcess, relayCpuMs, startRelayProcess } from './uplink-relay.ts';
import { benchPileKey } from './uplink-relay-process.ts';

const PILES = Number(process.env.UPLINK_BENCH_SESSION_PILES ?? 8);
const ROUNDS = Number(process.env.UPLINK_BENCH_ROUNDS ?? 5);
const CHARGE_S = 180;
const ENERGY_LIMIT_WH = 5000; // above what 3 minutes at 7.4 kW deliver: the user's stop ends each session
const FUNDS_MINOR = 10_000;
const STEP_MS = 1000; // the pile's metering period
const SETTLE_LIMIT_MS = 10_000;
const STEPS_UNTIL_DELIVERED_MAX = 60;
const LEDGER_DRAIN_LIMIT_MS = 30_000;
const IDLE_WINDOW_MS = 3000;
const tariff = { energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 };

type NetworkedPile = { sim: SimulatedPile; handle: PileHandle; pileId: Uint8Array; traffic: UplinkTraffic; phone: Phone };
type Phase = 'start' | 'charge' | 'stop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextIo = () => new Promise((resolve) => setImmediate(resolve));

async function settle(piles: readonly NetworkedPile[]): Promise<void> {
  const startedMs = Date.now();
  while (piles.some((p) => !p.traffic.quiet)) {
    if (Date.now() - startedMs > SETTLE_LIMIT_MS) throw new Error(`uplink bench: uplinks not quiet after ${SETTLE_LIMIT_MS} ms: ${piles.map((p) => p.traffic.describe()).join('; ')}`);
    await sleep(1);
  }
}

/** One metering period on every pile's clock, then the uplinks settled (and the phones' HTTP and SSE given their turn). */
async function step(piles: readonly NetworkedPile[]): Promise<void> {
  for (const pile of piles) pile.sim.clock.advance(STEP_MS);
  await nextIo();
  await settle(piles);
}

async function stepUntil(piles: readonly NetworkedPile[], done: () => boolean, what: string): Promise<void> {
  for (let steps = 0; !done(); steps++) {
    if (steps === STEPS_UNTIL_DELIVERED_MAX) throw new Error(`uplink bench: ${what} not done after ${steps} s on the piles' clocks`);
    await step(piles);
  }
}

const outboxesEmpty = (piles: readonly NetworkedPile[]) => () => piles.every((p) => p.handle.services!.outbox(0, 1).records.length === 0);

/** Until the relay's ledger outbox is empty, as GET /v1/health reports it. */
async function ledgerDrained(relayUrl: string): Promise<void> {
  const startedMs = Date.now();
  for (;;) {
    const health = (await (await fetch(`${relayUrl}/v1/health`)).json()) as { outbox: { pending: number } };
    if (health.outbox.pending === 0) return;
    if (Date.now() - startedMs > LEDGER_DRAIN_LIMIT_MS) throw new Error(`uplink bench: ${health.outbox.pending} ledger writes pending after ${LEDGER_DRAIN_LIMIT_MS} ms`);
    await sleep(50);
  }
}

/** A pile registered by the operator, provisioned with the answer, booted with the relay's OCPP endpoint; its driver's phone registered and funded. */
async function addNetworkedPile(relay: RelayProcess, operator: RelayClient, operatorKey: KeyPair, index: number, counts: CallCounts): Promise<NetworkedPile> {
  const key = benchPileKey(index);
  const traffic = new UplinkTraffic(new CallCountingUplink(new WsUplinkSocket(), counts));
  const sim = createSimulatedPile({ secretKey: key.secretKey, startMs: Date.now(), seed: index + 1, uplink: traffic });
  const answer = await operator.registerPile(operatorKey, { pileId: key.kid, publicKey: key.publicKey, operator: 'bench', label: `Bay ${index}`, maxPowerW: 7400, tariff });
  const provisioned = provisionPile(sim.flash, { pileId: key.kid, relayPublicKey: answer.relayPublicKey, pilePublicKey: key.publicKey, pileUpdate: answer.pileUpdate, firstBillingSeq: answer.firstBillingSeq });
  if (!provisioned.ok) throw new Error(`uplink bench: provisioning pile ${index}: ${provisioned.reason}`);
  const handle = bootPile(sim.hal, { uplinkUrl: relay.ocppUrl });
  if (!handle.services) throw new Error(`uplink bench: pile ${index} refused to boot: ${handle.fault}`);
  const phone = Phone.create({ displayName: `Driver ${index}`, relayUrl: relay.url });
  await phone.register();
  await operator.issue(operatorKey, phone.keyPair.kid, FUNDS_MINOR);
  return { sim, handle, pileId: key.kid, traffic, phone };
}

const plug = (pile: NetworkedPile) => pile.sim.circuit.plug(new EvSim({ batteryWh: 60_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 }));

/** Reads the session's live status until its `ended` event; answers how many events came. */
async function watchToEnd(session: ChannelSession): Promise<number> {
  let events = 0;
  for await (const event of session.watch()) {
    events++;
    if (event.event === 'ended') return events;
  }
  throw new Error(`uplink bench: channel ${session.channelId}'s live status closed before its end`);
}

/** One session on every pile at once; the relay's CPU of each phase added to `cpuMs`, each phase waited out before it is read. */
async function runRound(relay: RelayProcess, piles: readonly NetworkedPile[], cpuMs: Record<Phase, number>): Promise<number> {
  let atMs = relayCpuMs(relay.pid);
  const phaseEnd = (phase: Phase) => {
    const nowMs = relayCpuMs(relay.pid);
    cpuMs[phase] += nowMs - atMs;
    atMs = nowMs;
  };
  for (const pile of piles) plug(pile);
  await step(piles);
  await step(piles);
  const sessions = await Promise.all(piles.map(async (pile) => {
    const session = await pile.phone.openChannel(pile.pileId);
    await session.start({ mode: 'energy', energyWh: ENERGY_LIMIT_WH });
    return session;
  }));
  const watching = Promise.all(sessions.map(watchToEnd));
  await stepUntil(piles, outboxesEmpty(piles), 'contracts delivered over the uplinks');
  await ledgerDrained(relay.url);
  phaseEnd('start');
  for (let s = 0; s < CHARGE_S; s++) await step(piles);
  phaseEnd('charge');
  await Promise.all(sessions.map((session) => session.stop()));
  await stepUntil(piles, outboxesEmpty(piles), 'receipts delivered over the uplinks');
  for (const pile of piles) pile.sim.circuit.unplug();
  await step(piles);
  const events = (await watching).reduce((sum, n) => sum + n, 0);
  await ledgerDrained(relay.url);
  phaseEnd('stop');
  return events;
}

const perSession = (counts: Map<string, number>, sessions: number) =>
  [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${(n / sessions).toFixed(n % sessions ? 1 : 0)}`).join(', ');

export async function benchNetworkedSessions(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tapcharge-uplink-sessions-'));
  const relay = await startRelayProcess(dataDir, 0, defaultOcppSettings.heartbeatIntervalS);
  const piles: NetworkedPile[] = [];
  try {
    const operatorKey = readKeyFile(join(dataDir, 'operator-key.json'));
    const operator = new RelayClient({ baseUrl: relay.url });
    const counts = newCallCounts();
    for (let i = 0; i < PILES; i++) piles.push(await addNetworkedPile(relay, operator, operatorKey, i, counts));
    // a pile sends StatusNotification once its BootNotification is Accepted (after a Pending one while the relay checks its proof)
    await stepUntil(piles, () => piles.every((p) => p.traffic.calls.includes('StatusNotification')), 'BootNotification Accepted');
    await settle(piles);
    await ledgerDrained(relay.url);

    const idleCpuMs = relayCpuMs(relay.pid);
    await sleep(IDLE_WINDOW_MS);
    const idleMsPerS = ((relayCpuMs(relay.pid) - idleCpuMs) * 1000) / IDLE_WINDOW_MS;

    counts.pileCalls.clear(); // the sessions' CALLs only
    counts.relayCalls.clear();
    const cpuMs: Record<Phase, number> = { start: 0, charge: 0, stop: 0 };
    const startedMs = performance.now();
    let sseEvents = 0;
    for (let round = 0; round < ROUNDS; round++) sseEvents += await runRound(relay, piles, cpuMs);
    const wallS = (performance.now() - startedMs) / 1000;
    const sessions = ROUNDS * PILES;
    const totalMs = cpuMs.start + cpuMs.charge + cpuMs.stop;
    const msPerSession = (ms: number) => `${(ms / sessions).toFixed(1)} ms`;
    console.log(`method: ${sessions} networked sessions, ${ROUNDS} rounds of ${PILES} at once (one pile and one phone each), against one relay process (SQLite; the embedded EDR ledger in the same process).`);
    console.log('Piles: the real firmware on hal/sim, registered and provisioned from the relay\'s answer, its OCPP uplink a real WebSocket on 127.0.0.1; phones: the phone SDK (HTTP + SSE).');
    console.log(`One session: vehicle plugged; channel opened (POST /v1/channels: ChannelSelect, ChannelHello); start in energy mode (voucher, ChannelStart); the Contract over the uplink (BillingRecord, StartTransaction), escrow on the ledger;`);
    console.log(`${CHARGE_S / 60} min of charging on the piles' virtual clocks (MeterValues every ${60} s, status changes, heartbeats every ${defaultOcppSettings.heartbeatIntervalS} s) watched over SSE; user stop through the relay (ChannelStop);`);
    console.log('the Receipt over the uplink (BillingRecord, StopTransaction), settled on the ledger; vehicle unplugged.');
    console.log('Relay CPU (utime + stime) read from /proc/<pid>/stat at each phase\'s end, every phase waited out (every pile\'s outbox empty, GET /v1/health outbox.pending 0).\n');
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| relay CPU per networked session (whole run ÷ ${sessions}) | ${msPerSession(totalMs)} |`);
    console.log(`| … plug, open, start, Contract delivered, escrow | ${msPerSession(cpuMs.start)} |`);
    console.log(`| … ${CHARGE_S / 60} min charging (MeterValues, SSE meter events) | ${msPerSession(cpuMs.charge)} |`);
    console.log(`| … stop, Receipt delivered, settled, unplug | ${msPerSession(cpuMs.stop)} |`);
    console.log(`| relay CPU idle (piles connected, no traffic; included above) | ${idleMsPerS.toFixed(1)} ms/s, over the ${wallS.toFixed(0)} s run ${msPerSession(idleMsPerS * wallS)} per session |`);
    console.log(`| networked sessions per relay core-hour (CPU only) | ${Math.floor((3_600_000 * sessions) / totalMs).toLocaleString('en')} |`);
    console.log(`| pile → relay CALLs per session | ${perSession(counts.pileCalls, sessions)} |`);
    console.log(`| relay → pile CALLs per session | ${perSession(counts.relayCalls, sessions)} |`);
    console.log(`| SSE events per session | ${(sseEvents / sessions).toFixed(1)} |`);
  } finally {
    for (const pile of piles) pile.handle.shutdown();
    relay.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
