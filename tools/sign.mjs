// npm run sign -- <part image> --key <key.pem> --out <file> [--version x.y.z[+build]]
//   [--security-counter n] [--role meter|meter-1p|concentrator]
// Writes the part image signed in MCUboot's format (docs/image-format.md). The role defaults to
// the folder the part image was built in (build/<platform>/<role>/<part>.img).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { keyClassOf, ROLES, signImage } from './mcuboot.mjs';

const USAGE =
  'usage: npm run sign -- <part image> --key <key.pem> --out <file> [--version x.y.z[+build]] [--security-counter n] [--role r]';

function fail(message) {
  process.stderr.write(`sign: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { input: undefined, key: undefined, out: undefined, version: undefined, counter: undefined, role: undefined };
  const flags = { '--key': 'key', '--out': 'out', '--version': 'version', '--security-counter': 'counter', '--role': 'role' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in flags) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${a} needs a value; ${USAGE}`);
      o[flags[a]] = v;
    } else if (a.startsWith('-')) fail(`unknown option ${a}; ${USAGE}`);
    else if (o.input === undefined) o.input = a;
    else fail(`one part image only (got '${o.input}' and '${a}'); ${USAGE}`);
  }
  if (!o.input || !o.key || !o.out) fail(USAGE);
  return o;
}

const o = parseArgs(process.argv.slice(2));
const role = o.role ?? basename(dirname(o.input));
if (!ROLES.includes(role)) fail(`cannot tell the role from '${o.input}': give --role (${ROLES.join(', ')})`);
let counter = 0;
if (o.counter !== undefined) {
  if (!/^\d+$/.test(o.counter) || Number(o.counter) > 0xffffffff) fail(`bad --security-counter '${o.counter}' (0..4294967295)`);
  counter = Number(o.counter);
}
let image, keyPem;
try {
  image = readFileSync(o.input);
} catch (e) {
  fail(`cannot read ${o.input}: ${e.code ?? e.message}`);
}
try {
  keyPem = readFileSync(o.key, 'utf8');
} catch (e) {
  fail(`cannot read ${o.key}: ${e.code ?? e.message}`);
}
let result;
try {
  result = signImage({ image, keyPem, role, version: o.version, securityCounter: counter });
} catch (e) {
  fail(`${o.input}: ${e.message}`);
}
try {
  writeFileSync(o.out, result.bytes);
} catch (e) {
  fail(`cannot write ${o.out}: ${e.code ?? e.message}`);
}
const v = result.version;
console.log(
  `signed ${result.part} (${role}) ${v.major}.${v.minor}.${v.revision}+${v.build} security counter ${counter}: ${o.out} ` +
    `(${result.bytes.length} bytes, needs the ${keyClassOf(result.part)} key on the device)`,
);
