// Where Renode is, for setup, the tests and the harness: $RENODE (the `renode` launcher or its
// folder), else `renode` on PATH, else the machines' shared build (../shared/renode/renode from
// the project root). renode-test is looked up beside the launcher (the release tarball and the
// shared build ship both), else on PATH (the .deb installs both in /usr/bin).
import { existsSync, realpathSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** One line for a skipped test or a setup message: how to get Renode. */
export const RENODE_INSTALL =
  'Renode not found ($RENODE, `renode` on PATH, ../shared/renode/renode): install the official Renode 1.15 release ' +
  '(https://github.com/renode/renode/releases/tag/v1.15.3: the .deb, or the portable Linux tarball and RENODE=<its folder>/renode)';

/** Debian packages the Mono build of Renode and renode-test need at run time (no recommends). */
export const RENODE_DEBIAN_PACKAGES = [
  'mono-runtime',
  'libmono-system4.0-cil',
  'libmono-system-core4.0-cil',
  'libmono-posix4.0-cil',
  'libmono-microsoft-csharp4.0-cil',
  'libmono-system-runtime-serialization4.0-cil',
  'libmono-system-xml4.0-cil',
  'libmono-system-xml-linq4.0-cil',
  'libmono-system-numerics4.0-cil',
  'libmono-system-drawing4.0-cil',
  'libmono-system-configuration4.0-cil',
  'libmono-system-runtime4.0-cil',
  'libmono-system-servicemodel4.0a-cil',
  'libmono-system-web4.0-cil',
  'libmono-system-xaml4.0-cil',
  'libmono-security4.0-cil',
  'python3-psutil',
  'python3-yaml',
];

function onPath(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function launcher(p) {
  if (!p || !existsSync(p)) return undefined;
  return statSync(p).isDirectory() ? (existsSync(join(p, 'renode')) ? join(p, 'renode') : undefined) : p;
}

/**
 * Renode's launcher and renode-test, or undefined when none is found.
 * `pysite` is the folder of Python packages shipped beside the shared build (Robot Framework),
 * to put on PYTHONPATH when it exists.
 */
export function findRenode(env = process.env) {
  const renode = launcher(env.RENODE) ?? onPath('renode') ?? launcher(join(root, '..', 'shared', 'renode', 'renode'));
  if (!renode) return undefined;
  const dir = dirname(realpathSync(renode));
  const test = existsSync(join(dir, 'renode-test')) ? join(dir, 'renode-test') : onPath('renode-test');
  const pysite = join(dir, 'pysite');
  return { renode, test, dir, pysite: existsSync(pysite) ? pysite : undefined };
}

/**
 * Environment for running renode-test: Debian's python3 first (psutil, yaml), the shipped
 * pysite on PYTHONPATH.
 */
export function renodeTestEnv(found, env = process.env) {
  const out = { ...env, PATH: `/usr/bin:${env.PATH ?? ''}` };
  if (found.pysite) out.PYTHONPATH = env.PYTHONPATH ? `${found.pysite}:${env.PYTHONPATH}` : found.pysite;
  return out;
}
