// How the dashboard writes the relay's figures: exact, from the integers the API answers.

const pad = (n, width) => String(n).padStart(width, '0');

/** Minor units as the piles' displays show them: divided by 100, two decimals ("12.34", "-1.50"). The relay knows no currency. */
export function money(minor) {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${pad(abs % 100, 2)}`;
}

/** Wh as kWh with three decimals ("12.052"). */
export function kwh(wh) {
  return `${Math.floor(wh / 1000)}.${pad(wh % 1000, 3)}`;
}

/** Seconds as h:mm:ss ("1:02:03"). */
export function duration(s) {
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60), 2)}:${pad(s % 60, 2)}`;
}

const dateOf = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;

/** A relay time in this browser's zone: "HH:MM:SS" on the same day as `todayS`, else "YYYY-MM-DD HH:MM:SS". */
export function time(atS, todayS) {
  const d = new Date(atS * 1000);
  const clock = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
  return dateOf(d) === dateOf(new Date(todayS * 1000)) ? clock : `${dateOf(d)} ${clock}`;
}

/** Billing sequence ranges ("4", "7–9"), "none" when empty. */
export function ranges(list) {
  return list.length === 0 ? 'none' : list.map((r) => (r.fromSeq === r.toSeq ? `${r.fromSeq}` : `${r.fromSeq}–${r.toSeq}`)).join(', ');
}

/** `format(value)`, or a dash for a figure the API does not give (no receipt yet). */
export const either = (value, format) => (value === undefined ? '—' : format(value));

/** The local day holding `atS`, as the ISO 8601 UTC instants GET /v1/operator/sessions takes. */
export function dayAround(atS) {
  const d = new Date(atS * 1000);
  const iso = (date) => date.toISOString().replace('.000Z', 'Z');
  return { from: iso(new Date(d.getFullYear(), d.getMonth(), d.getDate())), to: iso(new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) };
}
