// `tapcharge contract sign|inspect|verify`: sign a message given as JSON, show what a COSE file
// holds, check its signature. Bytes in JSON are hex strings.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { parseSign1, verifySign1 } from '../../contracts-offline/cose-sign1.ts';
import { type MessageName, MESSAGE_NAMES, codecs, decodeAnyMessage, isMessageName } from '../../contracts-offline/messages/registry.ts';
import type { MessageCodec } from '../../contracts-offline/messages/schema.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { argsError } from './args-error.ts';
import { CliError } from './cli-error.ts';
import { readBounded } from './cli-files.ts';
import { readKeyFile } from '../key-file.ts';

const USAGE = `usage:
  tapcharge contract sign --type TYPE --in JSON|- --key KEYFILE [--aad HEX] [--out FILE]
  tapcharge contract inspect FILE|- [--pubkey HEX] [--aad HEX]
  tapcharge contract verify FILE|- --pubkey HEX [--aad HEX] [--type TYPE]

TYPE: ${MESSAGE_NAMES.join(', ')}`;
// Far above any message (512 bytes); stops a wrong file from being read whole.
const MAX_INPUT_BYTES = 64 * 1024;

type Options = { type?: string; in?: string; key?: string; aad?: string; out?: string; pubkey?: string; help?: boolean };

function parse(args: string[]): { options: Options; files: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        type: { type: 'string' }, in: { type: 'string' }, key: { type: 'string' }, aad: { type: 'string' },
        out: { type: 'string' }, pubkey: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    return { options: values, files: positionals };
  } catch (error) {
    throw argsError(error, args, 'contract');
  }
}

function hexOption(name: string, value: string | undefined, length?: number): Uint8Array | undefined {
  if (value === undefined) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(value);
  } catch (error) {
    throw new CliError(`--${name}: ${(error as Error).message.replace(/^bytes: /, '')}`, 2);
  }
  if (length !== undefined && bytes.length !== length) throw new CliError(`--${name}: expected ${length} bytes, got ${bytes.length}`, 2);
  return bytes;
}

function messageType(value: string | undefined): MessageName {
  if (value === undefined) throw new CliError(`--type is required (one of ${MESSAGE_NAMES.join(', ')})`, 2);
  if (!isMessageName(value)) throw new CliError(`--type: unknown message type "${value}" (one of ${MESSAGE_NAMES.join(', ')})`, 2);
  return value;
}

function oneFile(files: string[], command: string): string {
  if (files.length !== 1) throw new CliError(`contract ${command} takes one FILE (or - for stdin), got ${files.length}`, 2);
  return files[0]!;
}

function sign(options: Options, files: string[]): number {
  if (files.length) throw new CliError(`contract sign: unexpected argument "${files[0]}"`, 2);
  const name = messageType(options.type);
  if (!options.in) throw new CliError('contract sign: --in JSON|- is required', 2);
  if (!options.key) throw new CliError('contract sign: --key KEYFILE is required', 2);
  const key = readKeyFile(options.key);
  const externalAad = hexOption('aad', options.aad);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(readBounded(options.in, MAX_INPUT_BYTES)));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${options.in}: invalid JSON (${(error as Error).message})`);
  }
  const codec = codecs[name] as MessageCodec<unknown>;
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(codec.fromJson(json));
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw new CliError(`${options.in}: ${error.message}`);
    throw error;
  }
  const signed = signMessage(bytes, key.secretKey, { kid: key.kid, ...(externalAad ? { externalAad } : {}) });
  if (options.out) {
    try {
      writeFileSync(options.out, signed);
    } catch (error) {
      throw new CliError(`cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  } else {
    if (process.stdout.isTTY) throw new CliError('contract sign: refusing to write binary to a terminal; use --out FILE or redirect', 2);
    process.stdout.write(signed);
  }
  return 0;
}

function inspect(options: Options, files: string[]): number {
  const path = oneFile(files, 'inspect');
  const publicKey = hexOption('pubkey', options.pubkey, 32);
  const externalAad = hexOption('aad', options.aad);
  const bytes = readBounded(path, MAX_INPUT_BYTES);
  const parsed = parseSign1(bytes);
  if (!parsed.ok) {
    const bare = decodeAnyMessage(bytes);
    if (bytes[0] === 0x7b) throw new CliError(`${path}: looks like JSON; sign it first (tapcharge contract sign --type TYPE --in ${path} --key KEYFILE)`);
    if (!bare.ok) throw new CliError(`${path}: neither a signed message (${parsed.reason}) nor a bare one (${bare.reason})`);
    const codec = codecs[bare.value.name] as MessageCodec<unknown>;
    console.log(JSON.stringify({ type: bare.value.name, typeNumber: bare.value.type, signed: false, bytes: bytes.length, message: codec.toJson(bare.value.message) }, null, 2));
    return 0;
  }
  const payload = decodeAnyMessage(parsed.value.payload);
  let signature = 'not checked (pass --pubkey HEX)';
  let valid = true;
  if (publicKey) {
    const verified = verifySign1(bytes, publicKey, externalAad ? { externalAad } : {});
    valid = verified.ok;
    signature = verified.ok ? 'valid' : `invalid: ${verified.reason}`;
  }
  const report: Record<string, unknown> = {
    type: payload.ok ? payload.value.name : null,
    typeNumber: payload.ok ? payload.value.type : null,
    signed: true,
    bytes: bytes.length,
    kid: bytesToHex(parsed.value.kid),
    alg: parsed.value.alg,
    signature,
  };
  if (payload.ok) report['message'] = (codecs[payload.value.name] as MessageCodec<unknown>).toJson(payload.value.message);
  else report['payloadError'] = payload.reason;
  console.log(JSON.stringify(report, null, 2));
  return payload.ok && valid ? 0 : 1;
}

function verify(options: Options, files: string[]): number {
  const path = oneFile(files, 'verify');
  const publicKey = hexOption('pubkey', options.pubkey, 32);
  if (!publicKey) throw new CliError('contract verify: --pubkey HEX is required', 2);
  const externalAad = hexOption('aad', options.aad);
  const expectType = options.type === undefined ? undefined : messageType(options.type);
  const verified = verifySign1(readBounded(path, MAX_INPUT_BYTES), publicKey, externalAad ? { externalAad } : {});
  if (!verified.ok) throw new CliError(`invalid: ${verified.reason}`, 1);
  const payload = decodeAnyMessage(verified.value.payload);
  if (!payload.ok) throw new CliError(`invalid: ${payload.reason}`, 1);
  if (expectType && payload.value.name !== expectType) throw new CliError(`invalid: expected ${expectType}, got ${payload.value.name}`, 1);
  console.log(`valid ${payload.value.name} kid ${bytesToHex(verified.value.kid)}`);
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const { options, files } = parse(rest);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  switch (command) {
    case 'sign': return sign(options, files);
    case 'inspect': return inspect(options, files);
    case 'verify': return verify(options, files);
    default: throw new CliError(`contract: unknown subcommand "${command}" (sign, inspect, verify)`, 2);
  }
}
