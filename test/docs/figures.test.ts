// docs/figures.md is generated from bench/report.json (tools/figures.mjs): the committed page
// must be exactly what the committed report gives, so no documented figure can go stale.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../emulator/node.js';

describe('docs/figures.md', () => {
  it('is what bench/report.json gives', async () => {
    const { render } = (await import(pathToFileURL(join(ROOT, 'tools', 'figures.mjs')).href)) as {
      render: (report: unknown, path: string) => Promise<string>;
    };
    const report = JSON.parse(readFileSync(join(ROOT, 'bench', 'report.json'), 'utf8')) as unknown;
    const want = await render(report, 'bench/report.json');
    assert.equal(readFileSync(join(ROOT, 'docs', 'figures.md'), 'utf8'), want, 'run npm run figures');
  });

  it('shows a figure the report holds, in its own section', async () => {
    const report = JSON.parse(readFileSync(join(ROOT, 'bench', 'report.json'), 'utf8')) as {
      firmware: { platform: string; role: string; text: number }[];
    };
    const row = report.firmware.find((r) => r.platform === 'stm32f405' && r.role === 'meter');
    assert.ok(row, 'the report has the stm32f405 meter');
    const page = readFileSync(join(ROOT, 'docs', 'figures.md'), 'utf8');
    const line = page.split('\n').find((l) => l.startsWith('| stm32f405 | meter |'));
    assert.ok(line, 'figures.md has the stm32f405 meter row');
    assert.ok(line.includes(`| ${row.text.toLocaleString('en-US')} |`), `${line} shows text ${row.text}`);
  });
});
