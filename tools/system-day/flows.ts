// The flows of the billing method (design §1) a scripted day must show, and the book of evidence
// the scene keeps as each one is seen happening at the relay and on the ledger.
import type { UserContract } from '../phone/relay-client.ts';

export const FLOW_TITLES = Object.freeze({
  'tap1-update': 'R3      tap 1 wrote a newer relay-signed config into the pile',
  'amount-normal': 'R4 R5   amount mode, normal end',
  'time-normal': 'R4 R5   time mode, normal end',
  'energy-normal': 'R4 R5   energy mode, normal end',
  'full-normal': 'R5 R8   full mode, normal end, final tap',
  'user-stop': 'R6      user stop by tap',
  'capped-carried-by-another': "R7      capped normal end settled by another user's tap",
  'capped-plug-pulled': "R6 R7   plug pulled, capped: cap shown until another user's tap, then metered",
  'open-plug-pulled': 'R6 R8   plug pulled, open: new voucher refused (409) until a tap brought the receipt',
  'credit-line': 'R11     credit line let a user start beyond the balance',
  'top-up': 'money   top-up (operator issues credit)',
  transfer: 'money   transfer between users',
  'credit-repaid': 'R11     a top-up repaid the credit advance first',
  'channel-open': 'R9      channel opened through the relay from the pile id (display code or one tap)',
  'networked-start': 'R9      mode chosen and started on the phone, the contract signed by the pile through the relay',
  'live-status': 'R9      live status (energy, power, cost) pushed to the phone',
  'networked-pile-end': 'R9      end at the pile reported over its uplink, the receipt on the phone',
  'networked-user-stop': "R9      user stop on the phone: relay → pile, settled on the pile's receipt",
  'outage-records-delivered': 'R9      uplink cut mid-session (SIMULATED outage): charging went on, records delivered after restore, settled once',
});

export type FlowId = keyof typeof FLOW_TITLES;
export const ALL_FLOWS = Object.keys(FLOW_TITLES) as FlowId[];

export class FlowBook {
  readonly expected: readonly FlowId[];
  readonly #evidence = new Map<FlowId, string[]>();

  constructor(expected: readonly FlowId[]) {
    this.expected = expected;
  }

  mark(flow: FlowId, evidence: string): void {
    this.#evidence.set(flow, [...(this.#evidence.get(flow) ?? []), evidence]);
  }

  evidence(flow: FlowId): readonly string[] {
    return this.#evidence.get(flow) ?? [];
  }

  get missing(): FlowId[] {
    return this.expected.filter((f) => !this.#evidence.has(f));
  }

  toJSON(): Record<string, string[]> {
    return Object.fromEntries(this.expected.map((f) => [f, [...this.evidence(f)]]));
  }
}

/** The flow a settlement at the relay shows: a mode's normal end, or a user stop by tap. */
export function flowOfSettlement(c: UserContract): FlowId | undefined {
  if (c.status !== 'settled' && c.status !== 'corrected') return undefined;
  if (c.endReason === 'user') return 'user-stop';
  if (c.endReason === 'normal') return `${c.mode}-normal`;
  return undefined;
}
