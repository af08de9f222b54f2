// The operators' dashboard in a real browser — Debian's Chromium driven by playwright-core — while
// `npm start`'s day runs in this process on its relay (SimSystem + the day script, as run-day.ts
// runs them). The day is held at 11:50, while a plug-pulled open contract waits for its receipt, and
// again once it is over; each time, after a refresh the page began once the relay had gone quiet,
// every pile, session and user the page shows, the audit verdict, the relay's health and the
// hourly figures behind both charts are read from the page as a person sees them (text of the
// data-testid elements, and the charts' own data from Chart.js) and compared with what the API
// answers to the same token at that moment, formatted here independently of the page. A garbage,
// an expired and a missing token each show the login message. Full-page screenshots go to
// test-output/dashboard/. Every wait is bounded.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { issueSessionToken } from '../../tools/relay/auth.ts';
import { dayScript } from '../../tools/system-day/day-script.ts';
import { FlowBook } from '../../tools/system-day/flows.ts';
import { DAY_RELAY_POLICY, dayDashboardLink } from '../../tools/system-day/run-day.ts';
import { Scene, type SceneOutput } from '../../tools/system-day/scene.ts';
import { SimSystem } from '../../tools/system-day/sim-system.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = new URL('../../test-output/dashboard/', import.meta.url).pathname;
const WAIT_MS = 30_000;
const DAY_MS = 180_000;

/** Rejects when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The scene's output: lines kept; at the first minute at or after `holdAtMs` the day stops until released. */
class HoldingOutput implements SceneOutput {
  readonly lines: string[] = [];
  readonly held: Promise<void>;
  #reached!: () => void;
  #release!: () => void;
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));
  #holding = false;

  constructor(readonly system: SimSystem, readonly holdAtMs: number) {
    this.held = new Promise((resolve) => (this.#reached = resolve));
  }

  async event(line: string): Promise<void> {
    this.lines.push(line);
  }

  async timePassed(): Promise<void> {
    if (this.#holding || this.system.clock.nowMs() < this.holdAtMs) return;
    this.#holding = true;
    this.#reached();
    await this.#released;
  }

  release(): void {
    this.#release();
  }
}

// What a person must read, formatted here from the API's integers, independently of the page.
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const money = (minor: number) => `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${pad(Math.abs(minor) % 100, 2)}`;
const kwh = (wh: number) => `${Math.floor(wh / 1000)}.${pad(wh % 1000, 3)}`;
const hms = (s: number) => `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60), 2)}:${pad(s % 60, 2)}`;
const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;
function clock(atS: number, nowS: number): string {
  const d = new Date(atS * 1000);
  const time = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
  return localDate(d) === localDate(new Date(nowS * 1000)) ? time : `${localDate(d)} ${time}`;
}
const seqRanges = (list: { fromSeq: number; toSeq: number }[]) => (list.length === 0 ? 'none' : list.map((r) => (r.fromSeq === r.toSeq ? `${r.fromSeq}` : `${r.fromSeq}–${r.toSeq}`)).join(', '));
const dash = <T>(value: T | undefined, f: (v: T) => string) => (value === undefined ? '—' : f(value));
const isoUtc = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

type Row = { key: string; cells: Record<string, string> };
type Any = any; // API answers, read as JSON; the page's DOM
// Functions passed to page.evaluate run in the page; this repository's TypeScript has no DOM library.
declare const document: Any;
declare const location: Any;

/** The rows of the table body `testid`: each row's key attribute and the text of its data-testid cells. */
function readRows(page: Page, testid: string, key: string): Promise<Row[]> {
  return page.$$eval(`[data-testid="${testid}"] > tr`, (rows: Any[], k: string) => rows.map((r) => ({
    key: r.dataset[k] ?? '',
    cells: Object.fromEntries([...r.querySelectorAll('[data-testid]')].map((c: Any) => [c.dataset.testid, c.textContent ?? ''])),
  })), key);
}

const text = (page: Page, testid: string) => page.locator(`[data-testid="${testid}"]`).innerText();

type Ctx = { system: SimSystem; output: HoldingOutput; day: Promise<FlowBook>; browser: Browser; page: Page; link: string; token: string; pageErrors: string[]; requests: string[] };
const dashboard = suite<Ctx>('the operators\' dashboard in Chromium during the day', {} as Ctx);

dashboard.before(async (ctx) => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (!existsSync(CHROMIUM)) return; // the first test says so
  const now = new Date();
  const system = new SimSystem({ seed: 1, startMs: new Date(now.getFullYear(), now.getMonth(), now.getDate(), 7, 0).getTime(), policy: DAY_RELAY_POLICY });
  const output = new HoldingOutput(system, new Date(now.getFullYear(), now.getMonth(), now.getDate(), 11, 50).getTime());
  const flows = new FlowBook(dayScript.expectedFlows);
  await system.start();
  ctx.system = system;
  ctx.output = output;
  ctx.link = await dayDashboardLink(system);
  ctx.token = new URL(ctx.link).hash.replace('#token=', '');
  ctx.browser = await chromium.launch({ executablePath: CHROMIUM, timeout: WAIT_MS, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  const context = await ctx.browser.newContext({ viewport: { width: 1400, height: 1000 }, timezoneId: Intl.DateTimeFormat().resolvedOptions().timeZone });
  context.setDefaultTimeout(WAIT_MS);
  ctx.page = await context.newPage();
  ctx.pageErrors = [];
  ctx.requests = [];
  ctx.page.on('pageerror', (error) => ctx.pageErrors.push(error.message));
  ctx.page.on('console', (m) => void (m.type() === 'error' && ctx.pageErrors.push(m.text())));
  ctx.page.on('request', (r) => ctx.requests.push(r.url()));
  await ctx.page.goto(ctx.link);
  const scene = new Scene(system, flows, output);
  ctx.day = dayScript.run(scene).then(() => flows);
  ctx.day.catch(() => undefined); // awaited (and reported) by the end-of-day test
});

dashboard.after(async (ctx) => {
  ctx.output?.release();
  await ctx.browser?.close();
  await ctx.system?.close();
});

/** The API's answers to the page's token, fetched the way the page does, at the moment the day is held. */
async function apiViews(ctx: Ctx) {
  const get = async (path: string, auth = true): Promise<Any> => {
    const r = await fetch(ctx.system.relay.url + path, { headers: auth ? { authorization: `Bearer ${ctx.token}` } : {} });
    assert.ok(r.status === 200, `${path}: ${r.status}`);
    return r.json();
  };
  const piles = await get('/v1/operator/piles');
  const d = new Date(piles.nowS * 1000);
  const from = isoUtc(new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime());
  const to = isoUtc(new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime());
  return {
    piles, sessions: await get(`/v1/operator/sessions?from=${from}&to=${to}`), users: (await get('/v1/operator/users')).users, audit: await get('/v1/operator/audit'),
    health: await get('/v1/health', false), relay: await get('/v1/relay', false),
  };
}

/** Waits for a refresh the page began after `sinceMs` to be on screen, with an audit begun after it too (the page audits every 15 s). */
async function freshPage(page: Page, sinceMs: number): Promise<void> {
  await page.waitForFunction((t: number) => {
    const shown = document.body.dataset;
    return Number(shown.refreshStartedMs ?? 0) > t && Number(shown.auditStartedMs ?? 0) > t;
  }, sinceMs, { timeout: WAIT_MS });
}

async function assertShowsApi(ctx: Ctx): Promise<Awaited<ReturnType<typeof apiViews>>> {
  const { page } = ctx;
  const api = await apiViews(ctx);
  const nowS: number = api.piles.nowS;
  assert.is(await text(page, 'relay-now'), clock(nowS, nowS));

  const piles = await readRows(page, 'piles', 'pileId');
  assert.equal(piles.map((p) => p.key).sort(), api.piles.piles.map((p: Any) => p.pileId).sort(), 'the piles shown are the API\'s');
  for (const p of api.piles.piles) {
    assert.equal(piles.find((r) => r.key === p.pileId)!.cells, {
      'pile-label': p.label, 'pile-id': p.pileId, 'pile-config': `v${p.configVersion}`, 'pile-last-seen': dash(p.lastSeenAtS, (s: number) => clock(s, nowS)),
      'pile-state': p.silent ? 'silent' : 'heard from', 'pile-records': String(p.records), 'pile-gaps': seqRanges(p.gaps),
      'pile-without-receipt': String(p.contractsWithoutReceipt), 'pile-provisional': String(p.sessions.provisional),
      'pile-charged-at-cap': String(p.sessions.chargedAtCap), 'pile-disputed': String(p.sessions.disputed),
      'pile-settled': String(p.sessions.settled + p.sessions.corrected), 'pile-settled-kwh': kwh(p.sessions.settledEnergyWh),
      'pile-settled-amount': money(p.sessions.settledAmountMinor),
    }, `pile ${p.label}`);
  }

  const users = await readRows(page, 'users', 'kid');
  assert.equal(users.map((u) => u.key).sort(), api.users.map((u: Any) => u.kid).sort(), 'the users shown are the API\'s');
  for (const u of api.users) {
    assert.equal(users.find((r) => r.key === u.kid)!.cells, {
      'user-name': u.displayName, 'user-kid': u.kid, 'user-balance': money(u.balanceMinor), 'user-escrow': money(u.escrowMinor),
      'user-reserved': money(u.reservedMinor), 'user-available': money(u.availableMinor), 'user-credit-limit': money(u.creditLimitMinor),
      'user-credit-used': money(u.creditUsedMinor), 'user-open': String(u.openContracts), 'user-disputed': String(u.disputedContracts),
      'user-settled-sessions': String(u.settledSessions), 'user-settled-amount': money(u.settledAmountMinor),
    }, `user ${u.displayName}`);
  }

  const labels = new Map<string, string>(api.piles.piles.map((p: Any) => [p.pileId, p.label]));
  const names = new Map<string, string>(api.users.map((u: Any) => [u.kid, u.displayName]));
  const sessions = await readRows(page, 'sessions', 'contractId');
  const all: Any[] = [...api.sessions.unsettled, ...api.sessions.settled];
  assert.equal(sessions.map((s) => s.key).sort(), all.map((s) => s.contractId).sort(), 'the sessions shown are the API\'s');
  for (const s of all) {
    assert.equal(sessions.find((r) => r.key === s.contractId)!.cells, {
      'session-status': s.status, 'session-pile': labels.get(s.pileId)!, 'session-seq': String(s.seq), 'session-user': names.get(s.userKid)!,
      'session-mode': s.mode, 'session-started': clock(s.startAtS, nowS), 'session-settled': dash(s.settledAtS, (t: number) => clock(t, nowS)),
      'session-cap': money(s.capMinor), 'session-kwh': dash(s.energyWh, kwh), 'session-duration': dash(s.durationS, hms),
      'session-amount': dash(s.amountMinor, money), 'session-refunded': money(s.refundedMinor), 'session-end': s.endReason ?? '—',
    }, `session ${labels.get(s.pileId)} #${s.seq}`);
  }

  // the charts: per hour of settlement (this zone), and their totals, from the API's settled sessions
  const hours = Array.from({ length: 24 }, () => ({ n: 0, wh: 0, minor: 0 }));
  for (const s of api.sessions.settled) {
    const h = hours[new Date(s.settledAtS * 1000).getHours()]!;
    h.n += 1;
    h.wh += s.energyWh;
    h.minor += s.amountMinor;
  }
  const hourRows = await readRows(page, 'hours', 'hour');
  assert.equal(hourRows, hours.flatMap((h, hour) => (h.n === 0 ? [] : [{
    key: String(hour), cells: { hour: `${pad(hour, 2)}:00`, 'hour-sessions': String(h.n), 'hour-kwh': kwh(h.wh), 'hour-revenue': money(h.minor) },
  }])));
  const totalWh = api.sessions.settled.reduce((n: number, s: Any) => n + s.energyWh, 0);
  const totalMinor = api.sessions.settled.reduce((n: number, s: Any) => n + s.amountMinor, 0);
  assert.is(await text(page, 'chart-energy-total'), kwh(totalWh));
  assert.is(await text(page, 'chart-revenue-total'), money(totalMinor));
  assert.is(await text(page, 'day-settled'), String(api.sessions.settled.length));
  assert.is(await text(page, 'day-unsettled'), String(api.sessions.unsettled.length));
  const drawn = await page.evaluate(() => ['energy-chart', 'revenue-chart'].map((id) => {
    const canvas = document.querySelector(`[data-testid="${id}"]`);
    const chart = (globalThis as Any).Chart.getChart(canvas);
    return { data: chart.data.datasets[0].data as number[], width: canvas.width, height: canvas.height };
  }));
  assert.equal(drawn[0]!.data, hours.map((h) => Number(kwh(h.wh))), 'the energy chart draws the kWh per hour');
  assert.equal(drawn[1]!.data, hours.map((h) => Number(money(h.minor))), 'the revenue chart draws the amount per hour');
  assert.is(Math.round(drawn[0]!.data.reduce((n, v) => n + v, 0) * 1000), totalWh, 'the energy chart adds up to the sessions');
  assert.is(Math.round(drawn[1]!.data.reduce((n, v) => n + v, 0) * 100), totalMinor, 'the revenue chart adds up to the sessions');
  assert.ok(drawn.every((c) => c.width > 100 && c.height > 100), 'both charts are drawn');

  assert.is(await text(page, 'audit-verdict'), api.audit.ok ? 'PASS' : 'FAIL');
  assert.is(await text(page, 'audit-disagreements'), String(api.audit.disagreements));
  assert.is(await text(page, 'audit-first'), api.audit.first ?? '—');
  assert.is(await text(page, 'audit-checked-at'), clock(api.audit.checkedAtS, nowS));
  assert.is(await text(page, 'audit-pending'), String(api.audit.pendingLedgerWrites));

  assert.is(await text(page, 'health-status'), api.health.status);
  assert.is(await text(page, 'health-database'), api.health.database.ok ? 'ok' : `failing: ${api.health.database.error}`);
  assert.is(await text(page, 'health-ledger'), api.health.ledger.ok ? 'ok' : `failing: ${api.health.ledger.error}`);
  assert.is(await text(page, 'outbox-pending'), String(api.health.outbox.pending));
  assert.is(await text(page, 'outbox-done'), String(api.relay.outbox.done));
  assert.is(await text(page, 'outbox-rejected'), String(api.relay.outbox.rejected));
  assert.is(await text(page, 'outbox-transactions'), String(api.relay.outbox.transactions));
  assert.is(await text(page, 'relay-storage'), api.relay.storage);
  assert.is(await text(page, 'relay-ledger'), `${api.relay.ledger.kind} ${api.relay.ledger.address}`);
  assert.ok(await page.locator('[data-testid="problem"]').isHidden(), 'no problem shown');
  return api;
}

dashboard('Debian\'s chromium is installed (CI: apt-get install chromium; .ci/run does)', () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: this test drives Debian's chromium with playwright-core and never downloads a browser — install it: apt-get install chromium`);
});

let midday: Awaited<ReturnType<typeof apiViews>> | undefined;

dashboard('at 11:50 of the day, held: every figure on the page equals the API\'s; an open contract waits for its receipt', async (ctx) => {
  await within(ctx.output.held, DAY_MS, 'the day reaching 11:50');
  try {
    await ctx.system.relay.drainLedger();
    const quietMs = Date.now();
    await freshPage(ctx.page, quietMs);
    await ctx.page.screenshot({ path: join(SCREENSHOTS, 'mid-day.png'), fullPage: true });
    midday = await assertShowsApi(ctx);
    assert.ok(midday.sessions.unsettled.some((s: Any) => s.status === 'provisional'), 'mid-day: a session is provisional (its receipt not carried yet)');
    assert.ok(midday.piles.piles.some((p: Any) => p.contractsWithoutReceipt > 0), 'mid-day: a pile shows a contract without receipt');
    assert.is(midday.audit.ok, true, 'the audit passes mid-day');
  } finally {
    ctx.output.release(); // the rest of the day runs whatever this test found
  }
});

dashboard('at the end of the day: every figure equals the API\'s, the audit shows PASS, and the day moved on since 11:50', async (ctx) => {
  const flows = await within(ctx.day, DAY_MS, 'the rest of the day');
  assert.equal(flows.missing, [], 'every flow of the day happened');
  await ctx.system.relay.drainLedger();
  const quietMs = Date.now();
  await freshPage(ctx.page, quietMs);
  await ctx.page.screenshot({ path: join(SCREENSHOTS, 'end-of-day.png'), fullPage: true });
  const end = await assertShowsApi(ctx);
  assert.is(await text(ctx.page, 'audit-verdict'), 'PASS');
  const statuses = end.sessions.settled.length + end.sessions.unsettled.length;
  assert.is(statuses, 16, "seed 1's day: 16 sessions (2 on the networked pile)");
  assert.equal(end.sessions.unsettled.map((s: Any) => s.status), ['provisional'], 'one provisional overnight');
  assert.ok(midday && end.sessions.settled.length > midday.sessions.settled.length, 'more sessions settled than at 11:50: the page followed the day');
  assert.equal(ctx.pageErrors, [], 'no script error or Content-Security-Policy violation in the page');
  const leaked = ctx.requests.filter((u) => u.includes(ctx.token) || u.includes('token='));
  assert.equal(leaked, [], 'the token never appears in a request line');
  assert.not.match(await ctx.page.evaluate(() => location.href), /token/, 'the token is cleared from the address bar');
});

dashboard('a garbage, an expired or no token: the page says the login is expired or invalid and shows no figures', async (ctx) => {
  const { system } = ctx;
  const expired = issueSessionToken(system.relay.relayKey, sodiumEd25519, Buffer.from(system.relay.operatorKey.kid).toString('hex'), Math.floor(system.clock.nowMs() / 1000) - 1);
  const cases: [string, string, RegExp][] = [
    ['bad-token', `${system.relay.url}/dashboard/#token=v1.garbage`, /^Login expired or invalid \(bad-token\): the session token is not one this relay issues/],
    ['expired-token', `${system.relay.url}/dashboard/#token=${expired}`, /^Login expired or invalid \(expired-token\): the session token of operator [0-9a-f]{16} expired at/],
    ['no-token', `${system.relay.url}/dashboard/`, /^Not logged in: this page needs the link with #token=/],
  ];
  for (const [name, url, message] of cases) {
    const page = await ctx.page.context().newPage(); // a new tab: its own sessionStorage
    await page.goto(url);
    const problem = page.locator('[data-testid="problem"]');
    await problem.waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match(await problem.innerText(), message, name);
    assert.match(await problem.innerText(), /tapcharge relay dashboard/, `${name}: says how to get a new link`);
    assert.ok(await page.locator('main').isHidden(), `${name}: no figures shown`);
    await page.screenshot({ path: join(SCREENSHOTS, `login-${name}.png`), fullPage: true });
    await page.close();
  }
});

dashboard.run();
