// `tapcharge journal FILE [charge]` (host-main.ts): one pile on the host board whose journal
// partition is FILE (boards/host/flash-file.ts: the raw 64 KiB partition image, every flash
// operation on disk before it returns). A blank or new FILE is provisioned first (the test rig's
// keys and tariff). The pile boots — recovering any session a power cut interrupted — and prints
//   XS-JOURNAL {"provisioned":bool,"recovered":[seq...],"records":[{seq,signed}...]}
// (the records it holds unacknowledged, pile-signed). With `charge` a vehicle then plugs in and
// charges, and the simulated clock runs in 10 s steps, each printed as
//   XS-CHARGING {"contractSeq":n,"seconds":s,"meterWh":wh}
// for up to an hour: killing the process meanwhile is a power cut (test/device/host-journal.test.ts).
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { createHostBoard } from '../../boards/host/hal.ts';
import { flashFileStorage } from '../../boards/host/flash-file.ts';
import { pileBoardV1 } from '../../boards/esp32_pile_v1/board.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import { bootPile } from '../../firmware/pile.ts';
import * as rig from '../support/pile-rig.ts';

declare function print(...values: unknown[]): void;

/** partitions.csv: journal, data, 0x40, 0x310000, 0x010000 — 64 KiB in 4 KiB sectors. */
const journalPartition = { byteLength: 0x10000, blockLength: 4096 };
const chargeSeconds = 3600;

export function runJournal(file: string | undefined, action: string | undefined): number {
  if (!file || (action !== undefined && action !== 'charge')) {
    print('usage: tapcharge journal FILE [charge]');
    return 2;
  }
  const sim = createSimulatedPile({ secretKey: rig.pileSecretKey, startMs: rig.startMs, meterEnergyWh: 1_000_000 });
  const storage = flashFileStorage({ [pileBoardV1.journal.partition]: { file, ...journalPartition } });
  const board = createHostBoard(sim, { storage, pileSecretKey: rig.pileSecretKey });
  sim.hal = board.hal;
  const blank = isErased(board.hal.flash.read(board.hal.flash.byteLength, 0));
  if (blank) {
    const provisioned = provisionPile(board.hal.flash, { pileId: rig.pileId, relayPublicKey: rig.relayKey.publicKey, pilePublicKey: rig.pileKey.publicKey, pileUpdate: rig.pileUpdate(1).signedBytes, firstBillingSeq: 1 });
    if (!provisioned.ok) throw new Error(`provisioning failed: ${provisioned.reason}`);
  }
  const handle = bootPile(board.hal);
  const pile = handle.services;
  if (!pile) throw new Error(`the pile refused to run: ${handle.fault}`);
  const { records } = pile.outbox(0, 10_000);
  print(`XS-JOURNAL ${JSON.stringify({
    provisioned: blank,
    recovered: handle.recovered.map((receipt) => receipt.seq),
    records: records.map(({ seq, bytes }) => ({ seq, signed: bytesToHex(bytes) })),
  })}`);
  if (action !== 'charge') return 0;
  rig.plugEv(sim, { batteryWh: 80_000, stateOfChargePerMille: 100 });
  rig.startSession(pile, { mode: 'energy', energyWh: 60_000 }, 100_000);
  const contractSeq = pile.session?.contract.seq;
  for (let seconds = 10; seconds <= chargeSeconds; seconds += 10) {
    sim.clock.advance(10_000);
    print(`XS-CHARGING ${JSON.stringify({ contractSeq, seconds, meterWh: sim.circuit.meter.sample().energyWh })}`);
  }
  return 0;
}

function isErased(image: ArrayBuffer): boolean {
  return new Uint8Array(image).every((byte) => byte === 0xff);
}
