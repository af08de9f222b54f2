// The dashboard's tables and cards, filled from the API's answers. Text only (textContent: display
// names and labels come from users and operators, never markup). Every figure carries a
// data-testid, so a test reads what a person sees.
import { duration, either, kwh, money, ranges, time } from './format.js';

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** Sets the text of the element with data-testid `id`. */
export function show(id, text) {
  byTestId(id).textContent = text;
}

function cell(testid, text, className) {
  const td = document.createElement('td');
  td.dataset.testid = testid;
  td.textContent = String(text);
  if (className) td.className = className;
  return td;
}

function row(attributes, cells) {
  const tr = document.createElement('tr');
  for (const [name, value] of Object.entries(attributes)) tr.dataset[name] = value;
  tr.append(...cells);
  return tr;
}

export function showPiles(answer) {
  const rows = answer.piles.map((p) => row({ testid: 'pile-row', pileId: p.pileId }, [
    cell('pile-label', p.label),
    cell('pile-id', p.pileId, 'id'),
    cell('pile-config', `v${p.configVersion}`),
    cell('pile-last-seen', either(p.lastSeenAtS, (atS) => time(atS, answer.nowS))),
    cell('pile-state', p.silent ? 'silent' : 'heard from', p.silent ? 'warn' : ''),
    cell('pile-records', p.records),
    cell('pile-gaps', ranges(p.gaps), p.gaps.length > 0 ? 'warn' : ''),
    cell('pile-without-receipt', p.contractsWithoutReceipt),
    cell('pile-provisional', p.sessions.provisional),
    cell('pile-charged-at-cap', p.sessions.chargedAtCap, p.sessions.chargedAtCap > 0 ? 'warn' : ''),
    cell('pile-disputed', p.sessions.disputed, p.sessions.disputed > 0 ? 'warn' : ''),
    cell('pile-settled', p.sessions.settled + p.sessions.corrected),
    cell('pile-settled-kwh', kwh(p.sessions.settledEnergyWh), 'num'),
    cell('pile-settled-amount', money(p.sessions.settledAmountMinor), 'num'),
  ]));
  byTestId('piles').replaceChildren(...rows);
}

export function showSessions(answer, nowS, labels, names) {
  const newestFirst = [...answer.settled].reverse();
  const rows = [...answer.unsettled, ...newestFirst].map((s) => row({ testid: 'session-row', contractId: s.contractId }, [
    cell('session-status', s.status, `status ${s.status}`),
    cell('session-pile', labels.get(s.pileId) ?? s.pileId),
    cell('session-seq', s.seq),
    cell('session-user', names.get(s.userKid) ?? s.userKid),
    cell('session-mode', s.mode),
    cell('session-started', time(s.startAtS, nowS)),
    cell('session-settled', either(s.settledAtS, (atS) => time(atS, nowS))),
    cell('session-cap', money(s.capMinor), 'num'),
    cell('session-kwh', either(s.energyWh, kwh), 'num'),
    cell('session-duration', either(s.durationS, duration), 'num'),
    cell('session-amount', either(s.amountMinor, money), 'num'),
    cell('session-refunded', money(s.refundedMinor), 'num'),
    cell('session-end', s.endReason ?? '—'),
  ]));
  byTestId('sessions').replaceChildren(...rows);
}

export function showUsers(users) {
  const rows = users.map((u) => row({ testid: 'user-row', kid: u.kid }, [
    cell('user-name', u.displayName),
    cell('user-kid', u.kid, 'id'),
    cell('user-balance', money(u.balanceMinor), 'num'),
    cell('user-escrow', money(u.escrowMinor), 'num'),
    cell('user-reserved', money(u.reservedMinor), 'num'),
    cell('user-available', money(u.availableMinor), u.availableMinor < 0 ? 'num warn' : 'num'),
    cell('user-credit-limit', money(u.creditLimitMinor), 'num'),
    cell('user-credit-used', money(u.creditUsedMinor), u.creditUsedMinor > 0 ? 'num warn' : 'num'),
    cell('user-open', u.openContracts),
    cell('user-disputed', u.disputedContracts, u.disputedContracts > 0 ? 'warn' : ''),
    cell('user-settled-sessions', u.settledSessions),
    cell('user-settled-amount', money(u.settledAmountMinor), 'num'),
  ]));
  byTestId('users').replaceChildren(...rows);
}

export function showHours(hours) {
  const rows = hours.flatMap((h, hour) => (h.sessions === 0 ? [] : [row({ testid: 'hour-row', hour: String(hour) }, [
    cell('hour', `${String(hour).padStart(2, '0')}:00`),
    cell('hour-sessions', h.sessions),
    cell('hour-kwh', kwh(h.energyWh), 'num'),
    cell('hour-revenue', money(h.amountMinor), 'num'),
  ])]));
  byTestId('hours').replaceChildren(...rows);
}

export function showAudit(audit, nowS) {
  const verdict = byTestId('audit-verdict');
  verdict.textContent = audit.ok ? 'PASS' : 'FAIL';
  verdict.className = audit.ok ? 'pass' : 'fail';
  show('audit-disagreements', audit.disagreements);
  show('audit-first', audit.first ?? '—');
  show('audit-checked-at', time(audit.checkedAtS, nowS));
  show('audit-pending', audit.pendingLedgerWrites);
}

const check = (c) => (c.ok ? 'ok' : `failing: ${c.error ?? 'no answer'}`);

export function showHealth(health, relay) {
  const status = byTestId('health-status');
  status.textContent = health.status;
  status.className = health.status === 'ok' ? 'pass' : 'fail';
  show('health-database', check(health.database));
  show('health-ledger', check(health.ledger));
  show('outbox-pending', health.outbox.pending);
  show('outbox-done', relay.outbox.done);
  show('outbox-rejected', relay.outbox.rejected);
  show('outbox-transactions', relay.outbox.transactions);
  show('relay-storage', relay.storage);
  show('relay-ledger', `${relay.ledger.kind} ${relay.ledger.address}`);
}
