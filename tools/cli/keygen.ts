// `tapcharge keygen --out FILE [--force]`: a new Ed25519 key pair in a 0600 key file.
import { parseArgs } from 'node:util';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { CliError } from './cli-error.ts';
import { writeKeyFile } from '../key-file.ts';

const USAGE = 'usage: tapcharge keygen --out FILE [--force]';

export async function run(args: string[]): Promise<number> {
  let values: { out?: string; force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { out: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new CliError(`${(error as Error).message.split('. ')[0]} (${USAGE})`, 2);
  }
  if (values.help) {
    console.log(`${USAGE}\n\nWrites {secretKey, publicKey, kid} as hex JSON, file mode 0600; prints the public part.`);
    return 0;
  }
  if (!values.out) throw new CliError(`--out FILE is required (${USAGE})`, 2);
  const pair = generateKeyPair();
  writeKeyFile(values.out, pair, values.force === true);
  console.log(`kid ${bytesToHex(pair.kid)}\npublicKey ${bytesToHex(pair.publicKey)}`);
  return 0;
}
