// The pile's NFC card application (README.md): ISO-DEP framing — selection, command chaining,
// long answers — around one handler per command. Untrusted frames never throw: each gets its
// status word, and a command that is not completely received or is refused changes nothing.
import {
  CLA_CHAINING_BIT, CLA_ISO, CLA_PROPRIETARY, INS, SHORT_LE_MAX, SW, encodeResponseApdu, parseCommandApdu,
} from '../../contracts-offline/apdu.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import type { NfcCardHandler } from '../../hal/types.ts';
import type { PileServices } from '../pile-services.ts';
import type { Answer, CommandHandler, TapContext } from './answer.ts';
import { ack } from './ack.ts';
import { AnswerPager } from './answer-pager.ts';
import { type ChainHeader, CommandChain } from './command-chain.ts';
import { hello } from './hello.ts';
import type { NonceBook } from './nonce-book.ts';
import { outbox } from './outbox.ts';
import { select } from './select.ts';
import { start } from './start.ts';
import { stop } from './stop.ts';
import { update } from './update.ts';

const proprietaryHandlers: ReadonlyMap<number, CommandHandler> = new Map([
  [INS.hello, hello],
  [INS.update, update],
  [INS.start, start],
  [INS.stop, stop],
  [INS.outbox, outbox],
  [INS.ack, ack],
]);

const SELECT_BY_NAME_P1 = 0x04;

function statusOnly(sw: number): Uint8Array {
  return encodeResponseApdu(new Uint8Array(0), sw);
}

// CLA, INS, P1-P2 of a parsed command, checked in that order (6E00, 6D00, 6A86). Only the
// proprietary commands may be chained; SELECT and GET RESPONSE have CLA 00 exactly.
function headerStatus(header: ChainHeader, chained: boolean): number | undefined {
  if (header.cla === CLA_ISO && !chained) {
    if (header.ins === INS.select) return header.p1 === SELECT_BY_NAME_P1 && header.p2 === 0 ? undefined : SW.wrongP1P2;
    if (header.ins === INS.getResponse) return header.p1 === 0 && header.p2 === 0 ? undefined : SW.wrongP1P2;
    return SW.insNotSupported;
  }
  if (header.cla === CLA_PROPRIETARY) {
    if (!proprietaryHandlers.has(header.ins)) return SW.insNotSupported;
    return header.p1 === 0 && header.p2 === 0 ? undefined : SW.wrongP1P2;
  }
  return SW.claNotSupported;
}

/** The card application, and whether a reader's field is on now (the service console refuses changes then). */
export type NfcApplication = NfcCardHandler & { readonly tapInProgress: boolean };

/**
 * `nonces`: the pile's one nonce book, shared with the uplink's virtual channel (firmware/ocpp/
 * channel.ts), so a nonce is used once whichever way its START or STOP arrives.
 */
export function createNfcApplication(services: PileServices, deps: { crypto: Ed25519Provider; nonces: NonceBook }): NfcApplication {
  const context: TapContext = { services, crypto: deps.crypto, nonces: deps.nonces, lastGreeting: undefined };
  const chain = new CommandChain();
  const pager = new AnswerPager();
  let selected = false;
  let fieldOn = false;

  function endTap(): void {
    chain.drop();
    pager.drop();
    selected = false;
  }

  function toResponse(result: Answer): Uint8Array {
    return result.sw === SW.ok ? pager.first(result.data) : statusOnly(result.sw);
  }

  function respond(bytes: Uint8Array): Uint8Array {
    const parsed = parseCommandApdu(bytes);
    if (!parsed.ok) {
      chain.drop();
      pager.drop();
      return statusOnly(SW.wrongLength);
    }
    const command = parsed.value;
    const chained = (command.cla & CLA_CHAINING_BIT) !== 0;
    const header: ChainHeader = { cla: command.cla & ~CLA_CHAINING_BIT, ins: command.ins, p1: command.p1, p2: command.p2 };

    if (chain.active && !chain.continues(header)) {
      chain.drop();
      pager.drop();
      return statusOnly(SW.chainBroken);
    }
    const isGetResponse = header.cla === CLA_ISO && header.ins === INS.getResponse && !chained;
    if (!isGetResponse) pager.drop();

    const headerSw = headerStatus(header, chained);
    if (headerSw !== undefined) {
      chain.drop();
      return statusOnly(headerSw);
    }
    if (header.ins === INS.select && header.cla === CLA_ISO) {
      selected = false;
      const result = select(context, command.data);
      selected = result.sw === SW.ok;
      return toResponse(result);
    }
    if (!selected) return statusOnly(SW.notAllowed);
    if (isGetResponse) return pager.pending ? pager.next(command.le ?? SHORT_LE_MAX) : statusOnly(SW.chainBroken);

    if (chained || chain.active) {
      if (!chain.append(header, command.data)) return statusOnly(SW.wrongLength);
      if (chained) return statusOnly(SW.ok);
    }
    const data = chain.active ? chain.take() : command.data;
    return toResponse(proprietaryHandlers.get(header.ins)!(context, data));
  }

  return {
    get tapInProgress() {
      return fieldOn;
    },
    onFieldOn() {
      endTap();
      fieldOn = true;
    },
    onFieldOff() {
      endTap();
      fieldOn = false;
    },
    onApdu(command: Uint8Array): Uint8Array {
      try {
        return respond(command);
      } catch {
        // A fault inside the pile (flash, services); the command is abandoned.
        chain.drop();
        pager.drop();
        return statusOnly(SW.deviceFault);
      }
    },
  };
}
