// npm start's report page rendered in headless Chromium (no network): every plot draws pixels.
// Skips with one line where Debian's chromium is absent (tools/setup.mjs installs it as root).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimSummary } from '../../emulator/sim.js';
import { type ReportData, reportHtml } from '../../emulator/start-report.js';

const chromium = spawnSync('chromium', ['--version'], { encoding: 'utf8' }).status === 0;
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=3000'];

/** Counts each canvas's non-transparent pixels after the page's scripts ran; a blank canvas is the control. */
const CHECK = `<canvas id="control" width="50" height="50"></canvas><script>
const px = {};
for (const c of document.querySelectorAll('canvas')) {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
  px[c.id] = n;
}
const pre = document.createElement('pre'); pre.id = 'pixels'; pre.textContent = JSON.stringify(px); document.body.appendChild(pre);
</script></body>`;

function data(): ReportData {
  const meters = 4;
  const perMeter = Object.fromEntries(
    Array.from({ length: meters }, (_, i) => [`02112233440000${String(i + 1).padStart(2, '0')}`, 10 + 5 * i]),
  );
  const summary = {
    meters,
    seed: 1,
    clock: 'simulated',
    stoppedAtS: 3600,
    wallS: 12,
    joined: meters,
    joinTimeS: { total: 25, perMeter },
    hops: { perMeter: {}, max: 2, histogram: { '1': 3, '2': 1 } },
    frames: { sent: 100, retries: 3, lost: 20 },
    drops: { noAck: 0 },
    pan: '0x1234',
  } as unknown as SimSummary;
  const profiles: ReportData['profiles'] = {};
  for (let m = 1; m <= meters; m++) profiles[`meter-${m}`] = [900, 1800, 2700, 3600].map((t, k) => [t, 400 * m + 100 * k]);
  return {
    title: 'test report',
    summary,
    profiles,
    energyWh: { 'meter-1': 400, 'meter-2': 800, 'meter-3': 1200, 'meter-4': 1600 },
    area: [
      [900, 1000, 4],
      [1800, 1100, 4],
    ],
    joins: [10, 15, 20, 25],
    alarms: [{ meter: 'meter-2', code: 'COVER', eventS: 200, latencyS: 7.4 }],
    hops: { '1': 3, '2': 1 },
  };
}

describe('npm start: the report page in headless Chromium', function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    if (!chromium) {
      console.log('    (chromium is not installed: apt-get install chromium; tools/setup.mjs does it as root)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'start-page-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is self-contained and every plot draws pixels', () => {
    const html = reportHtml(data());
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
    const page = join(dir, 'index.html');
    writeFileSync(page, html.replace('</body>', CHECK));
    const r = spawnSync('chromium', [...args, '--dump-dom', `file://${page}`], { encoding: 'utf8', timeout: 50_000 });
    const m = /<pre id="pixels">([^<]*)<\/pre>/.exec(r.stdout);
    assert.ok(m, `no pixel counts in the dumped page (status ${r.status}): ${r.stderr.slice(-500)}`);
    const px = JSON.parse(m[1]!) as Record<string, number>;
    assert.equal(px.control, 0, 'a blank canvas counts 0');
    for (const id of ['profile', 'energy', 'area', 'joins', 'alarms', 'hops']) assert.ok((px[id] ?? 0) > 1000, `${id}: ${px[id]} pixels`);
  });

  it('takes a screenshot', () => {
    const page = join(dir, 'shot.html');
    writeFileSync(page, reportHtml(data()));
    const png = join(dir, 'shot.png');
    spawnSync('chromium', [...args, '--window-size=1200,900', `--screenshot=${png}`, `file://${page}`], { timeout: 50_000 });
    assert.ok(statSync(png).size > 10_000);
    assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });
});
