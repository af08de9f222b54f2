// Main module of the native host build (test/device/manifest.json, Moddable x-cli-lin): firmware,
// drivers and bus simulations compiled by mcconfig (tsc, xsc, xsl) with the firmware preloaded.
//   tapcharge [day]  — the scripted pile day on the host board (host-day-run.ts)
//   tapcharge heap  — the XS heap of one pile on the host board (host-heap.ts)
//   tapcharge journal FILE [charge] — one pile whose journal partition is FILE (host-journal.ts)
//   tapcharge crypto — noble and the native libsodium Ed25519 over one corpus (host-crypto.ts)
//   tapcharge console TTY — a blank pile serving its service console on the tty TTY (host-console.ts)
//   tapcharge ocpp  — the networked pile's scripted OCPP day on the host board (host-ocpp-run.ts)
// Each mode is imported only when chosen, so the heap mode's first reading holds none of them.
declare const hostArguments: readonly string[];
declare function print(...values: unknown[]): void;
type HostHeap = { chunkBytes: number; slotCount: number; slotBytes: number; peakChunkBytes: number; peakSlotCount: number };
declare function hostHeap(collect: boolean): HostHeap;

export default async function main(): Promise<number> {
  const mode = hostArguments[1] ?? 'day';
  if (mode === 'day') return (await import('./host-day-run.ts')).runDay();
  if (mode === 'heap') return (await import('./host-heap.ts')).measureHeap(hostHeap(true));
  if (mode === 'crypto') return (await import('./host-crypto.ts')).runCrypto();
  if (mode === 'journal') return (await import('./host-journal.ts')).runJournal(hostArguments[2], hostArguments[3]);
  if (mode === 'console') return (await import('./host-console.ts')).runConsole(hostArguments[2]);
  if (mode === 'ocpp') return (await import('./host-ocpp-run.ts')).runOcpp();
  print(`usage: tapcharge [day | heap | journal FILE [charge] | crypto | console TTY | ocpp], not "${mode}"`);
  return 2;
}
