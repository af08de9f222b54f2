// The operators' dashboard: every few seconds, the relay's operator views (piles, today's
// sessions, users; the live audit every 15 s) and its health, read with the session token of the
// link, shown in one go. A refused token stops the refreshes and says how to get a new link; an unreachable
// relay is retried.
import { LoginError, adoptToken, getJson } from './api.js';
import { HourCharts, hourly } from './charts.js';
import { dayAround, kwh, money, time } from './format.js';
import { show, showAudit, showHealth, showHours, showPiles, showSessions, showUsers } from './views.js';

const REFRESH_MS = 3_000;
/** The audit re-derives every stored row (a fraction of a second on a day's data, more on a big relay): less often. */
const AUDIT_EVERY_MS = 15_000;
const NEW_LINK = 'Open a new link: `tapcharge relay dashboard --url URL --data DIR` prints one (so does `npm start` on a terminal).';

const main = document.querySelector('main');
const problem = document.querySelector('[data-testid="problem"]');
const charts = new HourCharts(document.querySelector('[data-testid="energy-chart"]'), document.querySelector('[data-testid="revenue-chart"]'));
let token = adoptToken();
let timer;
let auditStartedMs = 0;

function showProblem(kind, text) {
  problem.dataset.problem = kind;
  problem.textContent = text;
  problem.hidden = false;
}

/** Every view; the audit only when AUDIT_EVERY_MS has passed since the last one began (else undefined). */
async function readAll(startedMs) {
  const [piles, health, relay] = await Promise.all([getJson('/v1/operator/piles', token), getJson('/v1/health'), getJson('/v1/relay')]);
  const day = dayAround(piles.nowS);
  const auditDue = startedMs - auditStartedMs >= AUDIT_EVERY_MS;
  const [sessions, users, audit] = await Promise.all([
    getJson(`/v1/operator/sessions?from=${day.from}&to=${day.to}`, token), getJson('/v1/operator/users', token),
    auditDue ? getJson('/v1/operator/audit', token) : undefined,
  ]);
  return { piles, health, relay, sessions, users: users.users, audit };
}

function render(views, startedMs) {
  const { piles, health, relay, sessions, users, audit } = views;
  const nowS = piles.nowS;
  show('relay-now', time(nowS, nowS));
  showPiles(piles);
  showSessions(sessions, nowS, new Map(piles.piles.map((p) => [p.pileId, p.label])), new Map(users.map((u) => [u.kid, u.displayName])));
  showUsers(users);
  const hours = hourly(sessions.settled);
  showHours(hours);
  charts.show(hours);
  show('day-settled', sessions.settled.length);
  show('chart-energy-total', kwh(hours.reduce((n, h) => n + h.energyWh, 0)));
  show('chart-revenue-total', money(hours.reduce((n, h) => n + h.amountMinor, 0)));
  show('day-unsettled', sessions.unsettled.length);
  if (audit) {
    showAudit(audit, nowS);
    auditStartedMs = startedMs;
    document.body.dataset.auditStartedMs = String(startedMs);
  }
  showHealth(health, relay);
  const startedS = Math.floor(startedMs / 1000);
  show('updated-at', `${time(startedS, startedS)} (this computer's clock)`);
  show('connection', 'live');
  document.body.dataset.refreshStartedMs = String(startedMs);
  problem.hidden = true;
  main.hidden = false;
}

async function refresh() {
  clearTimeout(timer);
  const startedMs = Date.now();
  try {
    render(await readAll(startedMs), startedMs);
  } catch (error) {
    if (error instanceof LoginError) {
      main.hidden = true; // what was shown was read with a login that no longer holds
      show('connection', 'logged out');
      showProblem('login', `Login expired or invalid (${error.code}): ${error.message}. ${NEW_LINK}`);
      return; // no more refreshes until a new link arrives
    }
    show('connection', 'retrying');
    showProblem('unreachable', `The relay did not answer (${error.message}); retrying every ${REFRESH_MS / 1000} s.`);
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

window.addEventListener('hashchange', () => {
  token = adoptToken();
  auditStartedMs = 0;
  void refresh();
});

if (token === undefined) {
  show('connection', 'not logged in');
  showProblem('login', `Not logged in: this page needs the link with #token=… ${NEW_LINK}`);
} else {
  void refresh();
}
