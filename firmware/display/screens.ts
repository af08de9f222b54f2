// The pile's screens, as lines of text plus the status indicator. Written for the 6 × 24 area of
// the reference board; `fitScreen` keeps the first rows and clips each line on smaller displays,
// so each screen puts what matters most first.
import type { DisplayStatus } from '../../hal/types.ts';
import type { UserArrival } from '../pile-services.ts';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import {
  type StartRefusal, asciiText, chargeLimitText, endDetailText, formatDuration, formatEnergy, formatMoney, startRefusalLines,
} from '../../contracts-offline/display-text.ts';

export type Screen = { lines: string[]; status: DisplayStatus };

export function fitScreen(screen: Screen, rows: number, columns: number): Screen {
  return { lines: screen.lines.slice(0, rows).map((line) => line.slice(0, columns)), status: screen.status };
}

function tariffLines(tariff: Tariff): string[] {
  return [`${formatMoney(tariff.energyMinorPerKwh)}/kWh ${formatMoney(tariff.timeMinorPerHour)}/h`, `Session fee ${formatMoney(tariff.sessionFeeMinor)}`];
}

export function idleScreen(pileId: Uint8Array, label: string, tariff: Tariff): Screen {
  return { lines: [`Pile ${bytesToHex(pileId)}`, asciiText(label), ...tariffLines(tariff), '', 'Tap your phone to start'], status: 'idle' };
}

// After a tap the START comes with a second tap; through the channel it comes from the phone alone.
const modePrompt: Readonly<Record<UserArrival, string>> = Object.freeze({ tap: 'phone, then tap again', channel: 'phone to start charging' });

export function welcomeScreen(displayName: string, tariff: Tariff, arrival: UserArrival): Screen {
  return { lines: [`Welcome, ${asciiText(displayName)}`, 'Choose a mode on your', modePrompt[arrival], ...tariffLines(tariff)], status: 'busy' };
}

export function busyScreen(displayName: string): Screen {
  return { lines: [`Hello, ${asciiText(displayName)}`, 'This pile is charging', 'another vehicle'], status: 'busy' };
}

export type Progress = { name: string; limit: ChargeLimit; energyWh: number; durationS: number; costMinor: number; capMinor: number; delivering: boolean };

export function chargingScreen(progress: Progress): Screen {
  return {
    lines: [
      progress.delivering ? (progress.name === '' ? 'Charging' : `Charging: ${asciiText(progress.name)}`) : 'Waiting for vehicle',
      formatEnergy(progress.energyWh),
      `Time ${formatDuration(progress.durationS)}`,
      `Cost ${formatMoney(progress.costMinor)}`,
      chargeLimitText(progress.limit),
      `Cap ${formatMoney(progress.capMinor)}`,
    ],
    status: progress.delivering ? 'charging' : 'busy',
  };
}

export function receiptScreen(receipt: Receipt): Screen {
  return {
    lines: [
      `Receipt ${receipt.seq}`,
      endDetailText(receipt.endDetail),
      formatEnergy(receipt.energyWh),
      `Time ${formatDuration(receipt.durationS)}`,
      `Amount ${formatMoney(receipt.amountMinor)}`,
      'Sent with the next tap',
    ],
    status: 'idle',
  };
}

/** R6 (abnormal end) and R8 (open contract): a tap must carry the receipt to the relay. */
export function tapPromptScreen(endDetail: number, amountMinor: number): Screen {
  return {
    lines: ['Session ended:', endDetailText(endDetail), 'Tap your phone to', 'collect the receipt', `Amount ${formatMoney(amountMinor)}`],
    status: 'attention',
  };
}

/** A session ended but the key store has not signed its receipt yet: the pile keeps trying. */
export function receiptPendingScreen(): Screen {
  return { lines: ['Session ended', 'Signing the receipt', 'Please wait', 'No new sessions yet'], status: 'busy' };
}

/** A tap 2 that did not start a contract: why, and what to do (the words the phone shows too). */
export function startRefusedScreen(reason: StartRefusal): Screen {
  return { lines: ['Charging not started', ...startRefusalLines(reason)], status: 'attention' };
}

export function journalFullScreen(): Screen {
  return { lines: ['Journal full', 'New sessions refused', 'Tap a phone online to', 'sync the receipts'], status: 'attention' };
}

/** Out of service, with the reason word-wrapped to `columns`. */
export function faultScreen(detail: string, columns: number): Screen {
  const lines = ['OUT OF SERVICE'];
  let line = '';
  for (const word of asciiText(detail).split(' ')) {
    if (line !== '' && line.length + 1 + word.length > columns) (lines.push(line), (line = ''));
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return { lines, status: 'fault' };
}
