// The grid model's shell commands live with the model (drivers/gridmodel/shell.ts), GENERIC's:
// the same names, syntax and output as when LEGAL held them, HARM/NOISE/LINK only where the
// manifest leaves them in, and LEGAL registers none of them and binds no grid-model control.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Shell } from '../../modules/generic/shell.js';
import { gridShell } from '../../drivers/gridmodel/shell.js';
import type { GridModel } from '../../drivers/gridmodel/gridmodel.js';

const ROOT = join(import.meta.dirname, '..', '..');

function setup(controls: boolean) {
  const out: string[] = [];
  const calls: string[] = [];
  const grid: GridModel = {
    load: (...a) => {
      calls.push(`load ${a.join(' ')}`);
      return 7; // the DSP second the scenario applies from
    },
    frequency: (mHz) => void calls.push(`frequency ${mHz}`),
    harmonic: (...a) => void calls.push(`harmonic ${a.join(' ')}`),
    noise: (...a) => void calls.push(`noise ${a.join(' ')}`),
    link: (...a) => void calls.push(`link ${a.join(' ')}`),
  };
  const sh = new Shell((t) => out.push(t), 128);
  gridShell(sh, grid, controls);
  const run = (line: string) => {
    out.length = 0;
    sh.input(new Uint8Array(Buffer.from(`${line}\n`, 'latin1')));
    return out.join('');
  };
  return { run, calls, sh };
}

describe('gridmodel: shell commands', () => {
  it('METRO LOAD, HARM, NOISE and LINK answer as before and drive the model', () => {
    const { run, calls } = setup(true);
    assert.equal(run('METRO LOAD 1 230000 5000 0'), 'METRO LOAD L1 from second=7\r\n');
    assert.equal(run('metro load 2 230000 5000 -3000 50100'), 'METRO LOAD L2 from second=7\r\n');
    assert.equal(run('METRO HARM 1 3 100 200 1500'), 'METRO HARM L1 h3\r\n');
    assert.equal(run('METRO NOISE 50 20'), 'METRO NOISE V=50 I=20\r\n');
    assert.equal(run('METRO LINK 10 20 30 5'), 'METRO LINK in=10 out=20 lost=30\r\n');
    assert.deepEqual(calls, [
      'load 1 230000 5000 0',
      'load 2 230000 5000 -3000',
      'frequency 50100',
      'harmonic 1 3 100 200 1500',
      'noise 50 20 0',
      'link 10 20 30 5',
    ]);
    assert.match(run('METRO LOAD 1 2'), /^ERROR/);
  });

  it('without the controls (config.parts.legal.scenario false) only METRO LOAD is registered', () => {
    const { run, sh } = setup(false);
    assert.deepEqual(
      sh
        .list()
        .map((c) => `${c.module} ${c.command} ${c.owner}`)
        .sort(),
      ['METRO LOAD generic'],
    );
    assert.match(run('METRO HARM 1 3 100 200 1500'), /^ERROR .*unknown (command METRO HARM|module METRO)/);
  });

  it('LEGAL registers none of them and binds no grid-model control', () => {
    for (const f of readdirSync(join(ROOT, 'modules', 'legal')).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(ROOT, 'modules', 'legal', f), 'utf8');
      assert.doesNotMatch(text, /'(LOAD|HARM|NOISE|LINK)'/, f);
      assert.doesNotMatch(text, /drivers\/gridmodel\/gridmodel/, f);
    }
  });
});
