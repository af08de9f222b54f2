// How amounts, energy, durations, charging limits, end reasons and refused starts read — on the
// pile's character display, the phone's screen, the CLI and the day's report alike. Integers only
// (no floats anywhere near a bill), printable ASCII only (what a character LCD can show).
import type { ChargeLimit } from './charge-limit.ts';
import { EndDetail } from './messages/receipt.ts';

/** Currency minor units per major unit shown with two decimals (e.g. cents). */
const minorDigits = 2;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** 12345 → "123.45" */
export function formatMoney(amountMinor: number): string {
  const scale = 10 ** minorDigits;
  return `${Math.floor(amountMinor / scale)}.${pad(amountMinor % scale, minorDigits)}`;
}

/** 12345 → "12.345 kWh" */
export function formatEnergy(energyWh: number): string {
  return `${Math.floor(energyWh / 1000)}.${pad(energyWh % 1000, 3)} kWh`;
}

/** 3723 → "1:02:03" */
export function formatDuration(durationS: number): string {
  const hours = Math.floor(durationS / 3600);
  return `${hours}:${pad(Math.floor((durationS % 3600) / 60), 2)}:${pad(durationS % 60, 2)}`;
}

/** Any text as printable ASCII: other characters become '?'. */
export function asciiText(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += char.length === 1 && code >= 0x20 && code <= 0x7e ? char : '?';
  }
  return out;
}

/** { mode: 'energy', energyWh: 20000 } → "energy 20.000 kWh"; full → "full". */
export function chargeLimitText(limit: ChargeLimit): string {
  switch (limit.mode) {
    case 'amount': return `amount ${formatMoney(limit.amountMinor)}`;
    case 'time': return `time ${formatDuration(limit.durationS)}`;
    case 'energy': return `energy ${formatEnergy(limit.energyWh)}`;
    case 'full': return 'full';
  }
}

const endDetailTexts: Readonly<Record<number, string>> = Object.freeze({
  [EndDetail.none]: 'ended',
  [EndDetail.limitReached]: 'limit reached',
  [EndDetail.capReached]: 'price cap reached',
  [EndDetail.vehicleDone]: 'vehicle done',
  [EndDetail.userStop]: 'stopped by user',
  [EndDetail.plugRemoved]: 'plug removed',
  [EndDetail.powerLoss]: 'power loss',
  [EndDetail.meterFault]: 'meter fault',
  [EndDetail.contactorFault]: 'contactor fault',
  [EndDetail.overcurrent]: 'overcurrent',
  [EndDetail.groundFault]: 'ground fault',
  [EndDetail.pilotFault]: 'pilot fault',
  [EndDetail.emergencyStop]: 'emergency stop',
});

/** Why a session ended, from its receipt's `endDetail` code. */
export function endDetailText(detail: number): string {
  return endDetailTexts[detail] ?? `end code ${detail}`;
}

/**
 * Why a START did not start a contract, as the pile's display and the phone name it: the voucher
 * (for another pile; its tap nonce unknown to the pile, used, or too old; the tariff changed since
 * it was issued) or the pile (no vehicle, busy, out of service, journal full, a device fault).
 */
export type StartRefusal =
  | 'other-pile' | 'nonce-unknown' | 'nonce-used' | 'nonce-expired' | 'tariff-changed'
  | 'no-vehicle' | 'busy' | 'out-of-service' | 'journal-full' | 'pile-fault';

/** Each at most 20 characters: one line each on the board's 20-column display. */
const startRefusalWords: Readonly<Record<StartRefusal, readonly [problem: string, advice: string]>> = Object.freeze({
  'other-pile': ['Not for this pile', 'Tap the right pile'],
  'nonce-unknown': ['Tap not recognised', 'Tap again'],
  'nonce-used': ['Voucher already used', 'Tap again'],
  'nonce-expired': ['Too late', 'Tap again'],
  'tariff-changed': ['Tariff changed', 'Tap again'],
  'no-vehicle': ['No vehicle', 'Plug in, tap again'],
  busy: ['Pile busy', 'Try another pile'],
  'out-of-service': ['Out of service', 'Try another pile'],
  'journal-full': ['Journal full', 'Sync, then tap again'],
  'pile-fault': ['Pile fault', 'Tap again'],
});

/** The refusal as two display lines: what went wrong, what to do. */
export function startRefusalLines(reason: StartRefusal): readonly [problem: string, advice: string] {
  return startRefusalWords[reason];
}

/** The refusal as one phrase: "Tariff changed: tap again". */
export function startRefusalText(reason: StartRefusal): string {
  const [problem, advice] = startRefusalWords[reason];
  return `${problem}: ${advice.charAt(0).toLowerCase()}${advice.slice(1)}`;
}
