// The pile's scripted day: 22 sessions by four phones, every mode (R5), every way to end (R6):
// limit, price cap and vehicle done; the user's own stop and a relay-signed stop by tap; the plug
// pulled on a capped and on an open contract, a control pilot fault. Two updates by tap and one
// stale update refused. Phones collect receipts (capped ones by another phone, R7; open ones by a
// final tap, R8) and carry the relay's acks back. Sessions are short (minutes) to keep the day cheap.
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import { EndDetail, type EndReason } from '../../../contracts-offline/messages/receipt.ts';

export const phoneNames = ['Ada', 'Ben', 'Chloe', 'Dev'] as const;
export type PhoneName = (typeof phoneNames)[number];

/** A vehicle that charges for hours, or one a minute from full (for "full" sessions that end by themselves). */
export type EvProfile = 'charging' | 'nearlyFull';

export type ExpectedEnd = { reason: EndReason; detail: number };

export type DayStep =
  | { do: 'plug'; ev: EvProfile }
  | { do: 'unplug'; s?: number }
  | { do: 'start'; s: number; phone: PhoneName; limit: ChargeLimit; capMinor: number; expect: ExpectedEnd }
  /** Let session `s` run until it ends by itself, within `maxS`. */
  | { do: 'charge'; s: number; maxS: number }
  | { do: 'wait'; s?: number; seconds: number }
  | { do: 'stop'; s: number; phone: PhoneName; by: 'user' | 'relay' }
  | { do: 'pilotFault'; s?: number; shorted: boolean }
  /** Taps until the pile's outbox is drained (each: SELECT, the pending ACK, one OUTBOX page). */
  | { do: 'collect'; phone: PhoneName }
  /** SELECT, the pending ACK, UPDATE: 'applied' when the pile's config is older, 'refused' for a stale update. */
  | { do: 'update'; phone: PhoneName; configVersion: number; expect: 'applied' | 'refused' };

const limitEnd: ExpectedEnd = { reason: 'normal', detail: EndDetail.limitReached };
const capEnd: ExpectedEnd = { reason: 'normal', detail: EndDetail.capReached };
const vehicleDone: ExpectedEnd = { reason: 'normal', detail: EndDetail.vehicleDone };
const userStop: ExpectedEnd = { reason: 'user', detail: EndDetail.userStop };
const plugPulled: ExpectedEnd = { reason: 'abnormal', detail: EndDetail.plugRemoved };
const pilotFault: ExpectedEnd = { reason: 'abnormal', detail: EndDetail.pilotFault };

const energy = (energyWh: number): ChargeLimit => ({ mode: 'energy', energyWh });
const time = (durationS: number): ChargeLimit => ({ mode: 'time', durationS });
const amount = (amountMinor: number): ChargeLimit => ({ mode: 'amount', amountMinor });
const full: ChargeLimit = { mode: 'full' };

export const dayScript: readonly DayStep[] = [
  { do: 'plug', ev: 'charging' },
  { do: 'start', s: 1, phone: 'Ada', limit: energy(250), capMinor: 500, expect: limitEnd },
  { do: 'charge', s: 1, maxS: 300 },
  { do: 'start', s: 2, phone: 'Ben', limit: time(90), capMinor: 300, expect: limitEnd },
  { do: 'charge', s: 2, maxS: 300 },
  { do: 'start', s: 3, phone: 'Chloe', limit: amount(58), capMinor: 60, expect: limitEnd },
  { do: 'charge', s: 3, maxS: 600 },
  { do: 'collect', phone: 'Dev' }, // 4 records on one OUTBOX page, the 5th on a second tap
  { do: 'unplug' },
  { do: 'plug', ev: 'nearlyFull' },
  { do: 'start', s: 4, phone: 'Ada', limit: full, capMinor: 3000, expect: vehicleDone },
  { do: 'charge', s: 4, maxS: 300 },
  { do: 'collect', phone: 'Ada' }, // an open contract: the user's final tap (R8)
  { do: 'unplug' },
  { do: 'plug', ev: 'charging' },
  { do: 'start', s: 5, phone: 'Ben', limit: energy(5000), capMinor: 1000, expect: userStop },
  { do: 'wait', s: 5, seconds: 40 },
  { do: 'stop', s: 5, phone: 'Ben', by: 'user' },
  { do: 'start', s: 6, phone: 'Chloe', limit: time(3600), capMinor: 600, expect: plugPulled },
  { do: 'wait', s: 6, seconds: 30 },
  { do: 'unplug', s: 6 },
  { do: 'wait', s: 6, seconds: 2 },
  { do: 'collect', phone: 'Dev' }, // Chloe's capped receipt, carried by another phone (R7)
  { do: 'plug', ev: 'charging' },
  { do: 'start', s: 7, phone: 'Ada', limit: full, capMinor: 3000, expect: plugPulled },
  { do: 'wait', s: 7, seconds: 30 },
  { do: 'unplug', s: 7 },
  { do: 'wait', s: 7, seconds: 2 },
  { do: 'collect', phone: 'Ada' }, // open contract ended abnormally: collected by a tap (R6, R8)
  { do: 'plug', ev: 'charging' },
  { do: 'update', phone: 'Dev', configVersion: 2, expect: 'applied' },
  { do: 'update', phone: 'Chloe', configVersion: 1, expect: 'refused' }, // a stale update: rollback refused
  { do: 'start', s: 8, phone: 'Ben', limit: energy(300), capMinor: 500, expect: limitEnd },
  { do: 'charge', s: 8, maxS: 300 },
  { do: 'start', s: 9, phone: 'Chloe', limit: energy(5000), capMinor: 52, expect: capEnd },
  { do: 'charge', s: 9, maxS: 300 },
  { do: 'start', s: 10, phone: 'Dev', limit: time(60), capMinor: 200, expect: limitEnd },
  { do: 'charge', s: 10, maxS: 300 },
  { do: 'collect', phone: 'Ben' },
  { do: 'start', s: 11, phone: 'Ada', limit: energy(5000), capMinor: 1000, expect: userStop },
  { do: 'wait', s: 11, seconds: 45 },
  { do: 'stop', s: 11, phone: 'Ada', by: 'relay' },
  { do: 'start', s: 12, phone: 'Ben', limit: time(3600), capMinor: 600, expect: pilotFault },
  { do: 'wait', s: 12, seconds: 20 },
  { do: 'pilotFault', s: 12, shorted: true },
  { do: 'wait', s: 12, seconds: 2 },
  { do: 'pilotFault', shorted: false },
  { do: 'wait', seconds: 2 },
  { do: 'collect', phone: 'Chloe' },
  { do: 'start', s: 13, phone: 'Chloe', limit: amount(60), capMinor: 70, expect: limitEnd },
  { do: 'charge', s: 13, maxS: 600 },
  { do: 'start', s: 14, phone: 'Dev', limit: energy(200), capMinor: 400, expect: limitEnd },
  { do: 'charge', s: 14, maxS: 300 },
  { do: 'unplug' },
  { do: 'plug', ev: 'nearlyFull' },
  { do: 'start', s: 15, phone: 'Ben', limit: full, capMinor: 3000, expect: vehicleDone },
  { do: 'charge', s: 15, maxS: 300 },
  { do: 'collect', phone: 'Ben' },
  { do: 'unplug' },
  { do: 'plug', ev: 'charging' },
  { do: 'start', s: 16, phone: 'Ada', limit: time(120), capMinor: 300, expect: userStop },
  { do: 'wait', s: 16, seconds: 50 },
  { do: 'stop', s: 16, phone: 'Ada', by: 'user' },
  { do: 'start', s: 17, phone: 'Dev', limit: full, capMinor: 3000, expect: plugPulled },
  { do: 'wait', s: 17, seconds: 25 },
  { do: 'unplug', s: 17 },
  { do: 'wait', s: 17, seconds: 2 },
  { do: 'collect', phone: 'Chloe' },
  { do: 'plug', ev: 'charging' },
  { do: 'update', phone: 'Ada', configVersion: 3, expect: 'applied' },
  { do: 'start', s: 18, phone: 'Chloe', limit: energy(150), capMinor: 300, expect: limitEnd },
  { do: 'charge', s: 18, maxS: 300 },
  { do: 'start', s: 19, phone: 'Dev', limit: amount(55), capMinor: 55, expect: limitEnd },
  { do: 'charge', s: 19, maxS: 600 },
  { do: 'start', s: 20, phone: 'Ada', limit: time(45), capMinor: 200, expect: limitEnd },
  { do: 'charge', s: 20, maxS: 300 },
  { do: 'unplug' },
  { do: 'plug', ev: 'nearlyFull' },
  { do: 'start', s: 21, phone: 'Chloe', limit: full, capMinor: 3000, expect: vehicleDone },
  { do: 'charge', s: 21, maxS: 300 },
  { do: 'collect', phone: 'Dev' },
  { do: 'unplug' },
  { do: 'plug', ev: 'charging' },
  { do: 'start', s: 22, phone: 'Ben', limit: energy(400), capMinor: 600, expect: limitEnd },
  { do: 'charge', s: 22, maxS: 300 },
  { do: 'collect', phone: 'Ada' },
];
