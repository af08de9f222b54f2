// The wallet as a JSON file (mode 0600: it holds the user's secret key). Writes go to a temporary
// file that is then renamed over the old one, so a crash leaves either the old or the new wallet,
// never half of one — a carried receipt is not lost to a torn write.
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { WalletFileError } from './errors.ts';
import { type WalletState, parseWalletState } from './wallet-state.ts';

export function readWalletFile(path: string): WalletState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WalletFileError(code === 'ENOENT' ? `no wallet at ${path} (create one with: tapcharge phone keygen --wallet ${path} --name NAME)` : `cannot read wallet ${path}: ${code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WalletFileError(`${path}: not a wallet (invalid JSON)`);
  }
  const state = parseWalletState(json);
  if (!state.ok) throw new WalletFileError(`${path}: ${state.reason}`);
  return state.value;
}

export function writeWalletFile(path: string, state: WalletState, options: { create?: boolean } = {}): void {
  const text = JSON.stringify(state, null, 2) + '\n';
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    if (options.create) writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
    writeFileSync(temporary, text, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new WalletFileError(`${path} exists; pass --force to replace it`);
    throw new WalletFileError(`cannot write wallet ${path}: ${code ?? String(error)}`);
  }
}
