// An option whose value may be left out (`--pcsc`, `--pcsc READER`): node:util parseArgs has no
// optional values, so the bare flag (last, or before another option) is rewritten as `flag=`.
export function withOptionalValue(args: string[], flag: string): string[] {
  return args.map((arg, i) => (arg === flag && (i === args.length - 1 || args[i + 1]!.startsWith('-')) ? `${flag}=` : arg));
}
