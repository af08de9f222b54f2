// `tapcharge heap` (host-main.ts): the XS heap of one pile on the host board inside the
// native Moddable build, read after a garbage collection at each step and printed as one
// `XS-HEAP {json}` line. The firmware and drivers are preloaded (their code and constants are in
// read-only memory, as in a device's flash); everything else that gets loaded or built is RAM:
//   start    main module only (taken by host-main.ts before importing this one)
//   crypto   contracts-offline's crypto and @noble loaded (noble cannot be preloaded: it writes
//            to module-level buffers)
//   keys     after the first Ed25519 key derivation: noble's precomputed base-point tables
//   modules  the host board, its simulations and the test rig loaded
//   physics  the simulated pile: clock, charging circuit, NFC field, key store, and the journal's
//            64 KiB of simulated flash (RAM here, flash on a board)
//   board    + the host board: the bus simulations and the five drivers
//   booted   + the pile provisioned and booted
//   session  + a vehicle charging, 30 s into a session (the contract signed and journaled)
declare function print(...values: unknown[]): void;
type HostHeap = { chunkBytes: number; slotCount: number; slotBytes: number; peakChunkBytes: number; peakSlotCount: number };
declare function hostHeap(collect: boolean): HostHeap;

export async function measureHeap(start: HostHeap): Promise<number> {
  const heap: Record<string, HostHeap> = { start };
  const { keyPairFromSecret } = await import('../../contracts-offline/keys.ts');
  heap.crypto = hostHeap(true);
  keyPairFromSecret(new Uint8Array(32).fill(0x50));
  heap.keys = hostHeap(true);
  const { createSimulatedPile } = await import('../../hal/sim/simulated-pile.ts');
  const { createHostBoard } = await import('../../boards/host/hal.ts');
  const { provisionPile } = await import('../../firmware/provisioning/provision-pile.ts');
  const { bootPile } = await import('../../firmware/pile.ts');
  const rig = await import('../support/pile-rig.ts');
  heap.modules = hostHeap(true);
  const sim = createSimulatedPile({ secretKey: rig.pileSecretKey, startMs: rig.startMs, meterEnergyWh: 1_000_000 });
  heap.physics = hostHeap(true);
  sim.hal = createHostBoard(sim, { pileSecretKey: rig.pileSecretKey }).hal;
  heap.board = hostHeap(true);
  const provisioned = provisionPile(sim.flash, { pileId: rig.pileId, relayPublicKey: rig.relayKey.publicKey, pilePublicKey: rig.pileKey.publicKey, pileUpdate: rig.pileUpdate(1).signedBytes, firstBillingSeq: 1 });
  if (!provisioned.ok) throw new Error(provisioned.reason);
  const pile = bootPile(sim.hal);
  if (!pile.services) throw new Error(`the pile refused to run: ${pile.fault}`);
  heap.booted = hostHeap(true);
  rig.plugEv(sim);
  rig.startSession(pile.services, { mode: 'energy', energyWh: 20_000 }, 5000);
  sim.clock.advance(30_000);
  if (!pile.services.session) throw new Error('the session is not running');
  heap.session = hostHeap(true);
  print(`XS-HEAP ${JSON.stringify({ ...heap, flashBytes: sim.flash.byteLength })}`);
  return 0;
}
