// The final report of a day as text: sessions per pile, mode and end; energy and amounts;
// provisional vs settled per contract; balances; ledger gas; the flows seen; the audit verdict.
import { formatDuration, formatEnergy, formatMoney } from '../../contracts-offline/display-text.ts';
import type { DayFigures } from './day-figures.ts';
import { FLOW_TITLES, type FlowId } from './flows.ts';

function table(headers: string[], rows: (string | number)[][], right: number[] = []): string[] {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => '  ' + r.map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

const money = (minor: number | undefined): string => (minor === undefined ? '-' : formatMoney(minor));

export function formatReport(f: DayFigures, flows?: Record<string, readonly string[]>): string {
  const lines: string[] = ['', `=== day report (data: ${f.dataDir}) ===`, ''];
  const groups = new Map<string, { n: number; energyWh: number; amountMinor: number }>();
  for (const s of f.sessions) {
    const key = [s.pile, s.mode, s.endReason ? `${s.endReason} (${s.endDetail})` : 'no receipt at the relay yet'].join('\u0000');
    const g = groups.get(key) ?? { n: 0, energyWh: 0, amountMinor: 0 };
    groups.set(key, { n: g.n + 1, energyWh: g.energyWh + (s.energyWh ?? 0), amountMinor: g.amountMinor + (s.amountMinor ?? 0) });
  }
  lines.push(`sessions: ${f.sessions.length} — by pile, mode and end`);
  const sorted = [...groups].sort(([a], [b]) => a.localeCompare(b));
  lines.push(...table(['pile', 'mode', 'end', 'sessions', 'energy', 'settled'], sorted.map(([k, g]) => [...k.split('\u0000'), g.n, formatEnergy(g.energyWh), formatMoney(g.amountMinor)]), [3, 4, 5]));
  lines.push('', 'per pile');
  lines.push(...table(['pile', 'id', 'sessions', 'energy', 'settled', 'caps held'], f.piles.map((p) => [p.label, p.pileId, p.sessions, formatEnergy(p.energyWh), formatMoney(p.settledMinor), formatMoney(p.provisionalCapMinor)]), [2, 3, 4, 5]));
  const total = f.piles.reduce((t, p) => ({ energyWh: t.energyWh + p.energyWh, settledMinor: t.settledMinor + p.settledMinor }), { energyWh: 0, settledMinor: 0 });
  lines.push(`  total: ${formatEnergy(total.energyWh)}, ${formatMoney(total.settledMinor)} settled`);
  const provisional = f.sessions.filter((s) => s.status === 'provisional').length;
  lines.push('', `contracts: ${f.sessions.length - provisional} settled, ${provisional} provisional (cap held until a tap carries the receipt)`);
  lines.push(...table(
    ['contract', 'driver', 'mode', 'cap', 'status', 'ledger', 'energy', 'time', 'end', 'amount'],
    f.sessions.map((s) => [`${s.pile} #${s.seq}`, s.driver, s.mode, money(s.capMinor), s.status, s.ledger, s.energyWh === undefined ? '-' : formatEnergy(s.energyWh), s.durationS === undefined ? '-' : formatDuration(s.durationS), s.endReason ? `${s.endReason}: ${s.endDetail}` : '-', money(s.amountMinor)]),
    [3, 6, 7, 9],
  ));
  lines.push('', 'balances on the ledger');
  lines.push(...table(['driver', 'balance', 'escrow', 'credit limit', 'credit used', 'settled sessions'], f.users.map((u) => [u.name, money(u.balanceMinor), money(u.escrowMinor), money(u.creditLimitMinor), money(u.creditUsedMinor), u.settledSessions]), [1, 2, 3, 4, 5]));
  lines.push(`  revenue account ${formatMoney(f.revenueMinor)}; issued ${formatMoney(f.issuedMinor)}, redeemed ${formatMoney(f.redeemedMinor)}`);
  const entries = Object.values(f.gas.byKind).reduce((n, g) => n + g.entries, 0);
  lines.push('', `ledger gas: ${entries} writes in ${f.gas.transactions} transactions; ${f.gas.perSettledSession} gas per settled session (its open + settle, as the relay sent them)`);
  lines.push(...table(['write', 'entries', 'gas', 'gas/entry'], Object.entries(f.gas.byKind).map(([k, g]) => [k, g.entries, g.gasUsed, Math.round(g.gasUsed / g.entries)]), [1, 2, 3]));
  if (flows) {
    lines.push('', 'flows');
    for (const [flow, evidence] of Object.entries(flows)) {
      lines.push(`  ${evidence.length > 0 ? 'ok     ' : 'MISSING'} ${FLOW_TITLES[flow as FlowId] ?? flow}${evidence.length > 0 ? ` — ${evidence[0]}${evidence.length > 1 ? ` (+${evidence.length - 1} more)` : ''}` : ''}`);
    }
  }
  const a = f.audit;
  lines.push('', 'audit');
  lines.push(`  ${a.recordsVerified} signed records verified: Ed25519 over the stored COSE bytes, pile keys from the registry`);
  lines.push(`  ${a.relaySignedVerified} vouchers and pile configs verified with the relay's key`);
  lines.push(`  ${a.settledVerified} settled sessions re-verified: receipt ↔ contract ↔ ledger event hashes, amount from the signed tariff`);
  lines.push(`  ${a.provisional} provisional: contract ↔ ledger Opened hash verified, cap in escrow`);
  lines.push(`  ${a.rowsChecked} stored rows re-derived, every amount, status and balance, from those signatures and the ledger's events`);
  lines.push(`  ledger: ${a.ledgerEvents} events, ${a.ledgerAccounts} accounts rebuilt; balances + escrow = issued − redeemed`);
  for (const p of a.problems) lines.push(`  problem: ${p}`);
  lines.push(`audit ${a.ok ? 'PASS' : 'FAIL'}`);
  return lines.join('\n');
}
