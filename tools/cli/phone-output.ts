// What the phone simulator prints: the phone's screen as text lines.
import { chargeLimitText } from '../../contracts-offline/display-text.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import type { Phone, PileScreen, RelayInField, TapReport } from '../phone/phone.ts';
import type { SyncReport } from '../phone/phone-sync.ts';
import type { UserAccount, UserContract } from '../phone/relay-client.ts';
import type { ActiveContract } from '../phone/wallet-state.ts';

export function describeLimit(limit: ChargeLimit): string {
  return limit.mode === 'full' ? `${chargeLimitText(limit)} (open: a final tap is needed)` : chargeLimitText(limit);
}

function describeTariff(t: Tariff): string {
  return `tariff v${t.version}: ${t.energyMinorPerKwh}/kWh + ${t.timeMinorPerHour}/h + session fee ${t.sessionFeeMinor} (minor units)`;
}

export function describeScreen(s: PileScreen): string {
  return [
    `pile ${s.pileId} "${s.label}" ${s.state}${s.verified ? '' : ' (NOT verified: pile key unknown, relay offline)'}`,
    `  ${describeTariff(s.tariff)}, config v${s.configVersion}${s.updatedTo !== undefined ? ` (written by this tap)` : ''}`,
    `  modes: ${s.modes.length > 0 ? s.modes.join(', ') : 'none now'}`,
  ].join('\n');
}

export function describeContract(c: ActiveContract): string {
  return `${c.pileId}#${c.seq}: ${describeLimit(c.limit)}, cap ${c.capMinor}, started ${new Date(c.startAtS * 1000).toISOString()}`;
}

export function describeSync(r: SyncReport): string {
  const parts = [`uploaded: ${r.accepted} accepted, ${r.duplicates} duplicate, ${r.rejected.length} rejected`];
  for (const x of r.rejected) parts.push(`  rejected ${x.pileId}#${x.seq}: ${x.error}`);
  if (r.gaps.length > 0) parts.push(`  sequence gaps flagged at ${r.gaps.map((g) => `${g.pileId}#${g.seq}`).join(', ')}`);
  if (r.acksFor.length > 0) parts.push(`  acks to hand to pile(s) ${r.acksFor.join(', ')} at the next tap`);
  if (r.activeClosed) parts.push('  your running contract was closed at the relay');
  for (const v of r.vouchersCancelled) parts.push(`  voucher ${v.voucherId} cancelled: ${v.releasedMinor} (minor units) no longer reserved`);
  return parts.join('\n');
}

/** The upload after a tap: the relay's answer, or why it could not be reached. */
export function describeUpload(upload: SyncReport | { offline: string }): string {
  return 'offline' in upload ? `relay offline (${upload.offline}): records kept for \`tapcharge phone sync\`` : describeSync(upload);
}

function describeRelayInField(r: RelayInField): string {
  if (r.roundTrips === 0) return 'no relay request while held to the pile';
  if (r.answered) return `1 relay round trip while held to the pile (${r.waitedMs} ms)`;
  return r.timedOut ? `no relay answer within the field timeout (${r.waitedMs} ms): went on offline` : 'relay unreachable while held to the pile: went on offline';
}

export function describeCarried(report: TapReport): string {
  const { air, carried } = report;
  return `tap: ${air.apdus} APDUs, ${air.commandBytes + air.responseBytes} bytes on air; ${carried.fromPile} record(s) taken from the pile${carried.ackDelivered ? ', ack delivered' : ''}\n  ${describeRelayInField(report.relayInField)}`;
}

export function describeAccount({ account: a, contracts }: { account: UserAccount; contracts: UserContract[] }): string {
  const lines = [
    `user ${a.kid} "${a.displayName}"`,
    `  balance ${a.balanceMinor}, escrow ${a.escrowMinor}, available ${a.availableMinor} (credit ${a.creditUsedMinor}/${a.creditLimitMinor}) minor units`,
  ];
  for (const c of contracts) {
    const end = c.amountMinor !== undefined ? `, amount ${c.amountMinor}${c.energyWh !== undefined ? `, ${c.energyWh} Wh` : ''}${c.endReason ? `, ${c.endReason}` : ''}` : '';
    lines.push(`  ${c.contractId} ${c.mode} cap ${c.capMinor}: ${c.status}${end}`);
  }
  return lines.join('\n');
}

export function describeWallet(phone: Phone): string {
  const s = phone.state;
  const lines = [`user ${phone.kid} "${s.displayName}", relay ${s.relayUrl ?? '(none)'}${s.registered ? ', registered' : ', not registered'}`];
  if (s.active) lines.push(`  running contract ${describeContract(s.active)}`);
  if (s.voucher) lines.push(`  voucher ${s.voucher.voucherId} for pile ${s.voucher.pileId}: ${describeLimit(s.voucher.limit)}, cap ${s.voucher.capMinor}`);
  const pending = phone.pendingRecords;
  lines.push(`  carrying ${pending.length} record(s)${pending.length > 0 ? `: ${pending.map((r) => `${r.kind} ${r.pileId}#${r.seq}`).join(', ')}` : ''}`);
  const acks = Object.keys(s.acks);
  if (acks.length > 0) lines.push(`  acks to deliver to pile(s) ${acks.join(', ')}`);
  if (s.lastFinished) lines.push(`  last finished contract ${s.lastFinished.pileId}#${s.lastFinished.contractSeq}`);
  if (s.rejected.length > 0) lines.push(`  ${s.rejected.length} record(s) refused by the relay`);
  return lines.join('\n');
}
