// Counts what one tap puts on air and answers whether an optional command still fits the per-tap
// budget (design §6: ≤ 6 APDUs, ≤ 1 KiB on air). Essential commands of a flow are always sent;
// optional ones (ACK, OUTBOX pages) only when their worst case fits what is left.
import { SHORT_LC_MAX, SHORT_LE_MAX } from '../../contracts-offline/apdu.ts';
import type { IsoDepTransport } from './pile-reader.ts';

export type TapBudget = { maxApdus: number; maxBytes: number };
export type TapAir = { apdus: number; commandBytes: number; responseBytes: number };

export const DEFAULT_TAP_BUDGET: TapBudget = Object.freeze({ maxApdus: 6, maxBytes: 1024 });

/** Largest signed record a pile hands out (contracts-offline README: signed Contract, worst case). */
export const RECORD_MAX_BYTES = 182;
const OUTBOX_PAGE_RECORDS = 4;

/** APDUs and bytes on air for a proprietary command with `dataBytes` in and `answerBytes` back (chaining + GET RESPONSE). */
export function commandCost(dataBytes: number, answerBytes: number): { apdus: number; bytes: number } {
  const parts = Math.max(1, Math.ceil(dataBytes / SHORT_LC_MAX));
  const fetches = Math.max(0, Math.ceil(answerBytes / SHORT_LE_MAX) - 1);
  const commandBytes = dataBytes + parts * 6 + fetches * 5; // header + Lc + Le per part; GET RESPONSE is 5 bytes
  const responseBytes = answerBytes + (parts + fetches) * 2; // SW1 SW2 on every response
  return { apdus: parts + fetches, bytes: commandBytes + responseBytes };
}

/** Worst case of one OUTBOX command when the pile holds `pending` records for us. */
export function outboxPageCost(pending: number): { apdus: number; bytes: number } {
  const records = Math.min(OUTBOX_PAGE_RECORDS, Math.max(0, pending));
  return commandCost(4, 8 + records * (RECORD_MAX_BYTES + 3));
}

export class TapMeter implements IsoDepTransport {
  readonly budget: TapBudget;
  readonly #transport: IsoDepTransport;
  #air: TapAir = { apdus: 0, commandBytes: 0, responseBytes: 0 };

  constructor(transport: IsoDepTransport, budget: TapBudget = DEFAULT_TAP_BUDGET) {
    this.#transport = transport;
    this.budget = budget;
  }

  async transceive(apdu: Uint8Array): Promise<Uint8Array> {
    this.#air.apdus++;
    this.#air.commandBytes += apdu.length;
    const response = await this.#transport.transceive(apdu);
    this.#air.responseBytes += response.length;
    return response;
  }

  get air(): TapAir {
    return { ...this.#air };
  }

  /** True when a command costing `cost` still fits the budget after what this tap already sent. */
  fits(cost: { apdus: number; bytes: number }): boolean {
    const a = this.#air;
    return a.apdus + cost.apdus <= this.budget.maxApdus && a.commandBytes + a.responseBytes + cost.bytes <= this.budget.maxBytes;
  }
}
