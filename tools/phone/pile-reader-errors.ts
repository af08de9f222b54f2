// What a pile can answer instead of the data asked for (firmware/nfc/README.md "Status words").
import { SW, swHex } from '../../contracts-offline/apdu.ts';

export type PileCommandName = 'SELECT' | 'HELLO' | 'UPDATE' | 'START' | 'STOP' | 'OUTBOX' | 'ACK';

const swMeanings: ReadonlyMap<number, string> = new Map([
  [SW.wrongLength, 'wrong length (a command, its data or its chain has the wrong size)'],
  [SW.chainBroken, 'command chain broken, or no answer left to fetch'],
  [SW.securityNotSatisfied, 'signature or signer refused'],
  [SW.referenceNotUsable, 'authentic but unusable here (nonce unknown, used or expired; voucher expired; another pile; config not newer; tariff version changed)'],
  [SW.conditionsNotSatisfied, "the pile's state does not allow it (no vehicle, busy, no such session, fault, not provisioned)"],
  [SW.notAllowed, 'the tapcharge application is not selected in this tap'],
  [SW.wrongData, 'malformed data'],
  [SW.appNotFound, 'no tapcharge application on this card'],
  [SW.memoryFull, "the pile's journal is full"],
  [SW.wrongP1P2, 'wrong P1/P2'],
  [SW.insNotSupported, 'command not supported'],
  [SW.claNotSupported, 'class byte not supported'],
  [SW.deviceFault, 'device fault inside the pile (nothing changed)'],
]);

/** What status word `sw` means in the tapcharge protocol. */
export function describeStatusWord(sw: number): string {
  return swMeanings.get(sw) ?? 'unexpected status word';
}

/** The pile answered a status word other than 9000 / 61xx: it refused the command and changed nothing. */
export class PileRefusedError extends Error {
  readonly command: PileCommandName;
  readonly sw: number;
  constructor(command: PileCommandName, sw: number) {
    super(`${command} refused by the pile: ${swHex(sw)} ${describeStatusWord(sw)}`);
    this.name = 'PileRefusedError';
    this.command = command;
    this.sw = sw;
  }
}

/** The pile answered 9000 with data that breaks the protocol (malformed, wrong record, bad signature). */
export class PileAnswerError extends Error {
  readonly command: PileCommandName;
  constructor(command: PileCommandName, reason: string) {
    super(`${command}: the pile's answer is not usable: ${reason}`);
    this.name = 'PileAnswerError';
    this.command = command;
  }
}
