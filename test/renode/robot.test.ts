// The Renode robot suites (renode/tests/*.robot) run headless by renode-test, each into its
// own results folder; a failed suite fails here with renode-test's report. Skipped, with one
// line saying how to install it, where Renode is not found (tools/renode.mjs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';
import { findRenode, renodeTestEnv, RENODE_INSTALL } from '../../tools/renode.mjs';

const SUITES = ['meter-boot', 'meter-shell', 'concentrator-boot', 'concentrator-f429-boot', 'concentrator-f429-nonvolatile'];

// renode-test's exit status and its output (which names the failed test and the UART lines
// it saw). Its Renode process is ended with it: renode-test closes it, and on a time-out the
// whole process group is killed.
function runSuite(
  test: string,
  env: NodeJS.ProcessEnv,
  suite: string,
  out: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(test, ['-r', out, join(ROOT, 'renode', 'tests', `${suite}.robot`)], {
      env,
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => {
      output += `\n(renode-test killed after ${timeoutMs} ms)`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('Renode robot suites (renode/tests)', () => {
  const found = findRenode();
  before(function () {
    if (!found?.test) {
      console.log(`      ${RENODE_INSTALL}`);
      this.skip();
    }
  });

  for (const suite of SUITES) {
    it(suite, async function () {
      this.timeout(180000);
      const out = mkdtempSync(join(tmpdir(), 'robot-'));
      const { code, output } = await runSuite(found!.test!, renodeTestEnv(found!), suite, out, 170000);
      // a failed suite's results (robot log, UART snapshots) are kept for the post-mortem
      assert.equal(code, 0, `renode-test ${suite}.robot failed (results in ${out}):\n${output}`);
      rmSync(out, { recursive: true, force: true });
    });
  }
});
