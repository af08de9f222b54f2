// The import rules of docs/design.md §3, checked by dependency-cruiser (test/layering.test.ts runs
// it in `npm test`; `npm run layers` prints the report). Type-only imports count.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'contracts-offline-stands-alone',
      comment: 'contracts-offline runs on the device and in every tool: it imports nothing of ours outside itself, no Node API, no npm package but @noble',
      severity: 'error',
      from: { path: '^contracts-offline/' },
      to: { pathNot: ['^contracts-offline/', '^(node_modules/)?@noble/'] },
    },
    {
      name: 'firmware-sees-hal-types-and-contracts-offline',
      comment: 'firmware/ runs unchanged on Node, xsnap and the device: it sees only hal/types.ts and contracts-offline',
      severity: 'error',
      from: { path: '^firmware/' },
      to: { pathNot: ['^firmware/', '^hal/types\\.ts$', '^contracts-offline/'] },
    },
    {
      name: 'hal-types-stand-alone',
      comment: 'the hardware interfaces name only contracts-offline types',
      severity: 'error',
      from: { path: '^hal/types\\.ts$' },
      to: { pathNot: ['^hal/types\\.ts$', '^contracts-offline/'] },
    },
    {
      name: 'hal-sim-simulates-hal-types',
      comment: 'simulations implement hal/types; they know nothing of firmware or tools',
      severity: 'error',
      from: { path: '^hal/sim/' },
      to: { path: ['^firmware/', '^tools/', '^test/', '^bench/'] },
    },
    {
      name: 'relay-api-is-neutral',
      comment: 'the API schemas are shared by the relay and the phone: TypeBox and contracts-offline only',
      severity: 'error',
      from: { path: '^tools/relay-api/' },
      to: { pathNot: ['^tools/relay-api/', '^contracts-offline/', '^(node_modules/)?typebox(/|$)'] },
    },
    {
      name: 'tools-use-the-firmware-public-entries',
      comment: 'tools reach the firmware only through firmware/pile.ts (boot) and firmware/provisioning/provision-pile.ts',
      severity: 'error',
      from: { path: '^tools/' },
      to: { path: '^firmware/', pathNot: ['^firmware/pile\\.ts$', '^firmware/provisioning/provision-pile\\.ts$'] },
    },
    {
      name: 'only-the-cli-imports-the-cli',
      comment: 'libraries never import the command line',
      severity: 'error',
      from: { path: '^(contracts-offline|hal|firmware|tools|bench)/', pathNot: '^tools/cli/' },
      to: { path: '^tools/cli/' },
    },
    {
      name: 'product-code-never-imports-tests',
      comment: 'contracts-offline, hal, firmware and tools never import test code',
      severity: 'error',
      from: { path: '^(contracts-offline|hal|firmware|tools)/' },
      to: { path: '^test/' },
    },
    {
      name: 'bench-shares-only-test-support',
      comment: 'what tests and benches share lives in test/support/',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'no-test-file-is-imported',
      comment: 'a *.test.ts file is run, never imported',
      severity: 'error',
      from: {},
      to: { path: '\\.test\\.ts$' },
    },
    {
      name: 'test-helpers-stay-in-their-area',
      comment: 'a helper outside test/support/ serves the tests of its own area (test/<area>/) only',
      severity: 'error',
      from: { path: '^test/([^/]+)/' },
      to: { path: '^test/([^/]+)/', pathNot: ['^test/support/', '^test/$1/', '^test/fixtures/'] },
    },
    {
      name: 'no-cycles',
      comment: 'no import cycles, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|data)/' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
