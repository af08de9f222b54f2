// The relay of the uplink bench in a process of its own, so its CPU time and memory are read from
// /proc without the simulated piles' share: starts the relay on a fresh data folder with the
// given HeartbeatInterval, registers the bench's piles (keys from seeds 1..N, as the bench derives
// them; none when N is 0), and prints one line `ready {json}` (its HTTP and OCPP URLs, its pid);
// it runs until killed. The operator key is in `<dataDir>/operator-key.json`. Started with
// --expose-gc: on SIGUSR2 it runs a full garbage collection and prints `memory {json}` (RelayMemory:
// what the relay holds, not garbage not yet collected).
import { keyPairFromSecret } from '../contracts-offline/keys.ts';
import { RelayClient } from '../tools/phone/relay-client.ts';
import { startRelay } from '../tools/relay/start-relay.ts';
import { sodiumEd25519 } from '../tools/sodium-ed25519.ts';

export function benchPileKey(index: number) {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, index + 1);
  return keyPairFromSecret(seed, sodiumEd25519);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dataDir, pilesText, heartbeatText] = process.argv.slice(2);
  const relay = await startRelay({ dataDir: dataDir!, port: 0, log: () => undefined, ocpp: { heartbeatIntervalS: Number(heartbeatText), pendingIntervalS: 1 } });
  const client = new RelayClient({ baseUrl: relay.url });
  const tariff = { energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 };
  for (let i = 0; i < Number(pilesText); i++) {
    const key = benchPileKey(i);
    await client.registerPile(relay.operatorKey, { pileId: key.kid, publicKey: key.publicKey, operator: 'bench', label: `Bench ${i}`, maxPowerW: 7400, tariff });
  }
  const gc = (globalThis as { gc?: () => void }).gc!;
  process.on('SIGUSR2', () => {
    gc();
    const { heapUsed, external, rss } = process.memoryUsage();
    console.log(`memory ${JSON.stringify({ liveKb: Math.round((heapUsed + external) / 1024), rssKb: Math.round(rss / 1024) })}`);
  });
  console.log(`ready ${JSON.stringify({ url: relay.url, ocppUrl: relay.ocppUrl, pid: process.pid })}`);
}
