// Energy and revenue per hour of the day: the sessions settled today, each in the hour (this
// browser's zone) its amount became final — the time the export cuts periods on — summed in Wh and
// minor units, drawn with Chart.js (the global the relay's copy of chart.umd.min.js defines).
import { kwh, money } from './format.js';

const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

/** Per hour 0..23: sessions, Wh and minor units settled in it. */
export function hourly(settled) {
  const hours = HOURS.map(() => ({ sessions: 0, energyWh: 0, amountMinor: 0 }));
  for (const s of settled) {
    const hour = hours[new Date(s.settledAtS * 1000).getHours()];
    hour.sessions += 1;
    hour.energyWh += s.energyWh ?? 0;
    hour.amountMinor += s.amountMinor ?? 0;
  }
  return hours;
}

function barChart(canvas, label, color) {
  return new globalThis.Chart(canvas, {
    type: 'bar',
    data: { labels: HOURS, datasets: [{ label, data: HOURS.map(() => 0), backgroundColor: color }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { title: { display: true, text: 'hour' } }, y: { beginAtZero: true, title: { display: true, text: label } } },
    },
  });
}

export class HourCharts {
  #energy;
  #revenue;

  constructor(energyCanvas, revenueCanvas) {
    this.#energy = barChart(energyCanvas, 'kWh', '#2f7d4f');
    this.#revenue = barChart(revenueCanvas, 'revenue', '#2b5c9e');
  }

  /** Redraws both charts from `hours` (hourly()); exact values: Wh / 1000 and minor / 100 of integer sums. */
  show(hours) {
    this.#energy.data.datasets[0].data = hours.map((h) => Number(kwh(h.energyWh)));
    this.#revenue.data.datasets[0].data = hours.map((h) => Number(money(h.amountMinor)));
    this.#energy.update('none');
    this.#revenue.update('none');
  }
}
