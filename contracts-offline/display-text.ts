// How amounts, energy, durations, charging limits and end reasons read — on the pile's character
// display, the phone's screen, the CLI and the day's report alike. Integers only (no floats
// anywhere near a bill), printable ASCII only (what a character LCD can show).
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
