// The committed message fixtures (test/fixtures/<type>.json + .cose, written by test/fixtures/generate.ts).
export const fixturesDir = new URL('../fixtures/', import.meta.url).pathname;

/** A message name as its fixture file's base name: PileHello → pile-hello. */
export const fixtureFile = (name: string): string => name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
