// npm start's report page (<report>/index.html): self-contained (chart.js's UMD bundle inlined, no
// network), plots from the head-end's database and the run's summary (docs/start.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../tools/headend/db.js';
import { ROOT } from './node.js';
import type { SimSummary } from './sim.js';
import { ALARM_NAMES } from './start-view.js';

const SIM_EPOCH_S = 1767225600;
const PERIOD_S = 900;

export interface ReportData {
  title: string;
  summary: SimSummary & { wallS?: number };
  /** Per meter: [simulated s, average W over the interval before it] from the profile's A+ (first column, Wh). */
  profiles: Record<string, [number, number][]>;
  /** Per meter: its last A+ (Wh), from profile or register 1.0.1.8.0.255. */
  energyWh: Record<string, number>;
  /** Per interval end (simulated s): the energy of every meter reporting it (Wh), and how many did. */
  area: [number, number, number][];
  /** Simulated s each meter joined, sorted. */
  joins: number[];
  alarms: { meter: string; code: string; eventS: number; latencyS: number }[];
  hops: Record<string, number>;
}

export async function reportData(summary: SimSummary & { wallS?: number }, dbFile: string): Promise<ReportData> {
  const db = await openSqlite(dbFile);
  try {
    const names = new Map(Object.keys(summary.joinTimeS.perMeter).map((eui, i) => [eui, `meter-${i + 1}`]));
    // the head-end stores EUI-64s in upper case, the summary in lower case
    const name = (eui: string): string => names.get(eui.toLowerCase()) ?? eui;
    const profiles: ReportData['profiles'] = {};
    const energyWh: ReportData['energyWh'] = {};
    const area = new Map<number, [number, number]>();
    const rows = await db.all("SELECT meter, capture_s, vals FROM intervals WHERE obis = '1.0.99.1.0.255' ORDER BY meter, capture_s");
    let prev: { meter: string; wh: number; t: number } | undefined;
    for (const r of rows) {
      const meter = name(String(r.meter));
      const t = Number(r.capture_s) - SIM_EPOCH_S;
      const wh = Number((JSON.parse(String(r.vals)) as number[])[0] ?? 0);
      // the registers start at 0 on the run's new NVRAM: the first interval is from 0
      const before = prev && prev.meter === meter ? prev : { wh: 0, t: Math.max(0, t - PERIOD_S) };
      const dt = Math.max(1, t - before.t);
      (profiles[meter] ??= []).push([t, ((wh - before.wh) * 3600) / dt]);
      const a = area.get(t) ?? [0, 0];
      area.set(t, [a[0] + (wh - before.wh), a[1] + 1]);
      energyWh[meter] = wh;
      prev = { meter, wh, t };
    }
    for (const r of await db.all("SELECT meter, MAX(capture_s) AS t, vals FROM registers WHERE obis = '1.0.1.8.0.255' GROUP BY meter")) {
      const meter = name(String(r.meter));
      const wh = Number((JSON.parse(String(r.vals)) as number[])[0] ?? 0);
      energyWh[meter] = Math.max(energyWh[meter] ?? 0, wh);
    }
    const alarms = (await db.all('SELECT meter, code, event_s, latency_s FROM alarms ORDER BY event_s')).map((a) => ({
      meter: name(String(a.meter)),
      code: ALARM_NAMES[Number(a.code)] ?? `code ${a.code}`,
      eventS: Number(a.event_s) - SIM_EPOCH_S,
      latencyS: Number(a.latency_s),
    }));
    return {
      title: `meterfw: ${summary.meters} meters, seed ${summary.seed}, ${summary.stoppedAtS.toFixed(0)} simulated s`,
      summary,
      profiles,
      energyWh,
      area: [...area.entries()].sort((a, b) => a[0] - b[0]).map(([t, [wh, n]]) => [t, wh, n]),
      joins: Object.values(summary.joinTimeS.perMeter)
        .filter((x): x is number => x !== null)
        .sort((a, b) => a - b),
      alarms,
      hops: summary.hops.histogram,
    };
  } finally {
    await db.close();
  }
}

const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function reportHtml(d: ReportData): string {
  const chartJs = readFileSync(join(ROOT, 'node_modules', 'chart.js', 'dist', 'chart.umd.js'), 'utf8');
  const s = d.summary;
  const h = s.headend;
  const facts = [
    `stopped at ${s.stoppedAtS.toFixed(1)} simulated s (${s.clock} clock)${s.wallS !== undefined ? `, wall ${s.wallS.toFixed(1)} s` : ''}`,
    `joined ${s.joined}/${s.meters}, max hops ${s.hops.max}, PAN ${s.pan ?? '-'}`,
    `frames sent ${s.frames.sent}, retries ${s.frames.retries}, lost ${s.frames.lost}, noAck ${s.drops.noAck}`,
    h
      ? `head-end: ${h.intervalsStored} intervals (${h.missing} missing, ${h.duplicates} duplicates), ${h.registers} registers, ${h.events} events, ${h.alarms} alarms (latency p50 ${h.alarmLatencyS.p50?.toFixed(2) ?? '-'} s, p99 ${h.alarmLatencyS.p99?.toFixed(2) ?? '-'} s)`
      : 'no head-end',
  ];
  const json = JSON.stringify(d).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:1.5em}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}
.note{color:#666;font-size:.9em}
canvas{width:100%!important;height:300px!important}
</style>
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
</head><body>
<h1>${esc(d.title)}</h1>
<ul>${facts.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
<div class="grid">
<figure><figcaption>Load profile per meter (average W per 15-min interval)</figcaption><canvas id="profile"></canvas></figure>
<figure><figcaption>Energy per meter (A+, Wh, last reading)</figcaption><canvas id="energy"></canvas></figure>
<figure><figcaption>Area balance: energy of every meter per interval (Wh)</figcaption><canvas id="area"></canvas>
<p class="note">The simulated area has no feeder-head meter: the balance is the meters' sum per interval and how many reported it.</p></figure>
<figure><figcaption>Join timeline (meters joined vs simulated s)</figcaption><canvas id="joins"></canvas></figure>
<figure><figcaption>Alarm latency (event to head-end, s)</figcaption><canvas id="alarms"></canvas></figure>
<figure><figcaption>Route hops to the concentrator (bootstrap path)</figcaption><canvas id="hops"></canvas></figure>
</div>
<script>
const D = ${json};
Chart.defaults.animation = false;
const hms = (t) => { t = Math.round(t); return Math.floor(t / 3600) + ':' + String(Math.floor(t / 60) % 60).padStart(2, '0') + ':' + String(t % 60).padStart(2, '0'); };
const timeAxis = { type: 'linear', title: { display: true, text: 'simulated time' }, ticks: { callback: (v) => hms(v) } };
new Chart(document.getElementById('profile'), { type: 'line', data: { datasets: Object.entries(D.profiles).map(([m, pts]) => ({ label: m, data: pts.map(([x, y]) => ({ x, y })), showLine: true })) },
  options: { scales: { x: timeAxis, y: { title: { display: true, text: 'W' }, beginAtZero: true } }, plugins: { legend: { display: Object.keys(D.profiles).length <= 12 } } } });
const em = Object.keys(D.energyWh).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
new Chart(document.getElementById('energy'), { type: 'bar', data: { labels: em, datasets: [{ label: 'A+ Wh', data: em.map((m) => D.energyWh[m]) }] }, options: { scales: { y: { beginAtZero: true } } } });
new Chart(document.getElementById('area'), { type: 'bar', data: { labels: D.area.map((a) => hms(a[0])), datasets: [
  { label: 'energy of the meters (Wh)', data: D.area.map((a) => a[1]), yAxisID: 'y' },
  { label: 'meters reporting', type: 'line', data: D.area.map((a) => a[2]), yAxisID: 'n' }] },
  options: { scales: { y: { beginAtZero: true, position: 'left' }, n: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } } });
new Chart(document.getElementById('joins'), { type: 'line', data: { datasets: [{ label: 'joined', stepped: true, data: [{ x: 0, y: 0 }, ...D.joins.map((t, i) => ({ x: t, y: i + 1 }))] }] },
  options: { scales: { x: { type: 'linear', title: { display: true, text: 'simulated s' } }, y: { beginAtZero: true, suggestedMax: D.summary.meters } } } });
new Chart(document.getElementById('alarms'), { type: 'bar', data: { labels: D.alarms.map((a) => a.meter + ' ' + a.code + ' @' + hms(a.eventS)), datasets: [{ label: 'latency s', data: D.alarms.map((a) => a.latencyS) }] },
  options: { scales: { y: { beginAtZero: true } } } });
const hk = Object.keys(D.hops).sort((a, b) => a - b);
new Chart(document.getElementById('hops'), { type: 'bar', data: { labels: hk.map((k) => k + ' hop' + (k === '1' ? '' : 's')), datasets: [{ label: 'meters', data: hk.map((k) => D.hops[k]) }] }, options: { scales: { y: { beginAtZero: true } } } });
</script>
</body></html>
`;
}

export async function writeReport(dir: string, summary: SimSummary & { wallS?: number }, dbFile: string): Promise<void> {
  writeFileSync(join(dir, 'index.html'), reportHtml(await reportData(summary, dbFile)));
}
