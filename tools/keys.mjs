// npm run keys -- [--out DIR] [--force]
// Writes the ECDSA P-256 signing keys of the two key classes (docs/image-format.md):
// DIR/legal.pem, DIR/nonlegal.pem (private, PKCS#8 PEM, as imgtool reads them) and
// DIR/legal.pub.pem, DIR/nonlegal.pub.pem (SubjectPublicKeyInfo PEM, compiled into the firmware).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const KEY_CLASSES = ['legal', 'nonlegal'];
export const keyFiles = (dir) =>
  KEY_CLASSES.flatMap((c) => [
    { cls: c, kind: 'private', path: join(dir, `${c}.pem`) },
    { cls: c, kind: 'public', path: join(dir, `${c}.pub.pem`) },
  ]);

/** Generates both key pairs into dir; refuses to overwrite unless force. Returns the files. */
export function writeKeys(dir, { force = false } = {}) {
  const files = keyFiles(dir);
  const present = files.filter((f) => existsSync(f.path)).map((f) => f.path);
  if (present.length && !force) throw new Error(`keys exist (${present.join(', ')}): not overwritten without --force`);
  mkdirSync(dir, { recursive: true });
  for (const cls of KEY_CLASSES) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(join(dir, `${cls}.pem`), privateKey, { mode: 0o600 });
    writeFileSync(join(dir, `${cls}.pub.pem`), publicKey);
  }
  return files.map((f) => f.path);
}

const PRODUCTION =
  'These are development keys. A production signing key never sits in the build tree: it is made and kept on an ' +
  'offline signing host or in an HSM, images are signed there, and the build gets only legal.pub.pem and nonlegal.pub.pem.';

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  let dir = 'keys';
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) dir = argv[++i];
    else if (argv[i] === '--force') force = true;
    else {
      process.stderr.write(`keys: bad argument '${argv[i]}'; usage: npm run keys -- [--out DIR] [--force]\n`);
      process.exit(2);
    }
  }
  try {
    for (const f of writeKeys(dir, { force })) console.log(`wrote ${f}`);
  } catch (e) {
    process.stderr.write(`keys: ${e.message}\n`);
    process.exit(2);
  }
  console.log(PRODUCTION);
}
