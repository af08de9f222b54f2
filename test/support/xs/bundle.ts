// Bundles a test or bench entry into one script (iife) that xsnap runs as a program: the XS prelude first
// (console, deterministic crypto.getRandomValues), `uvu` replaced by the XS runner shim, the real
// `uvu/assert`, our TypeScript and @noble compiled by esbuild. Node built-ins fail the bundle.
// A program, not a module: xsnap exits 0 when a module throws while loading, but a program's
// uncaught exception makes it exit non-zero (so the price is no top-level await in XS entries).
import { build, type Plugin } from 'esbuild';

const here = new URL('.', import.meta.url).pathname;
const root = new URL('../../..', import.meta.url).pathname;

const uvuShim: Plugin = {
  name: 'uvu-xs-shim',
  setup(b) {
    b.onResolve({ filter: /^uvu$/ }, () => ({ path: `${here}uvu-shim.ts` }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `"${args.path}" is a Node built-in; XS has none (imported by ${args.importer})` }] }));
  },
};

export type XsBundleOptions = {
  /** Plain values set on globalThis before anything runs (e.g. FUZZ_ITERATIONS). */
  globals?: Record<string, string | number | boolean>;
};

/** `entry` is a file path, or source text resolved from the repository root. Returns the script text. */
export async function bundleForXs(entry: string | { contents: string }, options: XsBundleOptions = {}): Promise<string> {
  const body = typeof entry === 'string' ? `import ${JSON.stringify(entry)};` : entry.contents;
  const setGlobals = Object.entries(options.globals ?? {})
    .map(([name, value]) => `globalThis[${JSON.stringify(name)}] = ${JSON.stringify(value)};`)
    .join('\n');
  const result = await build({
    stdin: { contents: `import ${JSON.stringify(`${here}prelude.ts`)};\n${body}`, resolveDir: root, sourcefile: 'xs-entry.ts', loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    banner: { js: setGlobals },
    plugins: [uvuShim],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
