// npm run keys and npm run sign: their files, their refusals, and the signed image checked
// field by field against the layout of docs/image-format.md.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: plain JavaScript build tool without declarations
import { keysSource } from '../../tools/fwimage-keys.mjs';
import { partImage, PARTS, ROLES, tempDir, tool } from './harness.js';
import { readLayout } from './layout.js';

/** A refusal: exit 2 and one clear line, no stack trace. */
function refused(r: { status: number | null; stderr: string }, what: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, what);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/);
}

describe('npm run keys', () => {
  it('writes the legal and nonlegal P-256 keys: PKCS#8 private, SubjectPublicKeyInfo public', () => {
    const dir = join(tempDir(), 'keys');
    const r = tool('keys', ['--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /offline signing host or in an HSM/);
    for (const cls of ['legal', 'nonlegal']) {
      const priv = readFileSync(join(dir, `${cls}.pem`), 'utf8');
      const pub = readFileSync(join(dir, `${cls}.pub.pem`), 'utf8');
      assert.match(priv, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(pub, /^-----BEGIN PUBLIC KEY-----\n/);
      const k = createPrivateKey(priv);
      assert.equal(k.asymmetricKeyType, 'ec');
      assert.equal(k.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const spki = (x: string): Buffer => createPublicKey(x).export({ type: 'spki', format: 'der' });
      assert.deepEqual(spki(pub), spki(priv), `${cls}.pub.pem is the public half of ${cls}.pem`);
    }
    assert.notDeepEqual(readFileSync(join(dir, 'legal.pub.pem')), readFileSync(join(dir, 'nonlegal.pub.pem')));
  });

  it('refuses to overwrite keys without --force, and replaces them with it', () => {
    const dir = join(tempDir(), 'keys');
    assert.equal(tool('keys', ['--out', dir]).status, 0);
    const before = readFileSync(join(dir, 'legal.pem'), 'utf8');
    refused(tool('keys', ['--out', dir]), /^keys: keys exist .*--force/);
    assert.equal(readFileSync(join(dir, 'legal.pem'), 'utf8'), before);
    assert.equal(tool('keys', ['--out', dir, '--force']).status, 0);
    assert.notEqual(readFileSync(join(dir, 'legal.pem'), 'utf8'), before);
  });

  it('refuses a bad command line with exit 2', () => {
    refused(tool('keys', ['--bogus']), /^keys: bad argument '--bogus'; usage/);
    refused(tool('keys', ['--out']), /^keys: bad argument '--out'; usage/);
  });
});

describe('npm run sign', () => {
  const dir = tempDir();
  const keys = join(dir, 'keys');
  before(() => assert.equal(tool('keys', ['--out', keys]).status, 0));

  it('writes the image field by field as documented', () => {
    for (const [part, role] of [
      ['legal', 'meter'],
      ['plc', 'concentrator'],
    ] as const) {
      const input = partImage(dir, part, role);
      const payload = readFileSync(input);
      const out = join(dir, `${part}.signed`);
      const keyPem = readFileSync(join(keys, part === 'legal' ? 'legal.pem' : 'nonlegal.pem'), 'utf8');
      const r = tool('sign', [
        input,
        '--key',
        join(keys, part === 'legal' ? 'legal.pem' : 'nonlegal.pem'),
        '--out',
        out,
        '--version',
        '2.3.400+77',
        '--security-counter',
        '9',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const b = readFileSync(out);
      const l = readLayout(b);
      assert.equal(l.magic, 0x96f3b83d);
      assert.equal(l.loadAddr, 0);
      assert.equal(l.hdrSize, 0x20);
      assert.equal(l.imgSize, payload.length);
      assert.equal(l.flags, 0);
      assert.deepEqual(l.version, { major: 2, minor: 3, revision: 400, build: 77 });
      assert.equal(l.pad, 0);
      assert.deepEqual(b.subarray(l.hdrSize, l.hdrSize + l.imgSize), payload, 'the payload is the MFWI part image');
      // protected TLVs: SEC_CNT, then the part and role the image is for
      assert.equal(l.protMagic, 0x6908);
      assert.equal(l.protTot, l.protSize);
      assert.deepEqual(
        l.prot.map((t) => [t.type, t.value.toString('hex')]),
        [
          [0x50, '09000000'],
          [0x4da0, Buffer.from([PARTS.indexOf(part), ROLES.indexOf(role), 0, 0]).toString('hex')],
        ],
      );
      // unprotected TLVs: SHA256, KEYHASH, ECDSA_SIG
      assert.equal(l.unprotMagic, 0x6907);
      assert.equal(l.unprotAt + l.unprotTot, b.length, 'nothing after the unprotected TLVs');
      assert.deepEqual(
        l.unprot.map((t) => t.type),
        [0x10, 0x01, 0x22],
      );
      const signed = b.subarray(0, l.protAt + l.protSize);
      assert.deepEqual(l.unprot[0]!.value, createHash('sha256').update(signed).digest(), 'SHA256 covers header + payload + protected TLVs');
      const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
      assert.deepEqual(
        l.unprot[1]!.value,
        createHash('sha256').update(spki).digest(),
        'KEYHASH is SHA-256 of the SubjectPublicKeyInfo DER',
      );
      const sig = l.unprot[2]!.value;
      assert.equal(sig[0], 0x30, 'ECDSA_SIG is DER');
      assert.equal(sig[1], sig.length - 2);
      assert.ok(verify('sha256', signed, { key: createPublicKey(keyPem), dsaEncoding: 'der' }, sig), 'the signature verifies');
    }
  });

  it("defaults the version to the part image's and the security counter to 0", () => {
    const input = partImage(dir, 'generic', 'meter-1p', '4.5.6');
    const out = join(dir, 'generic.signed');
    assert.equal(tool('sign', [input, '--key', join(keys, 'legal.pem'), '--out', out]).status, 0);
    const l = readLayout(readFileSync(out));
    assert.deepEqual(l.version, { major: 4, minor: 5, revision: 6, build: 0 });
    assert.equal(l.prot[0]!.value.readUInt32LE(0), 0);
    assert.equal(l.prot[1]!.value[1], ROLES.indexOf('meter-1p'));
  });

  it('refuses bad command lines and bad inputs with one line and exit 2', () => {
    const input = partImage(dir, 'legal', 'meter');
    const key = join(keys, 'legal.pem');
    const out = join(dir, 'x.signed');
    const junk = join(dir, 'meter', 'junk.img');
    writeFileSync(junk, Buffer.alloc(100, 0x55));
    const rsa = join(dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const loose = join(dir, 'legal.img');
    writeFileSync(loose, readFileSync(input));
    const cases: [string[], RegExp][] = [
      [[], /^sign: usage/],
      [[input, '--out', out], /^sign: usage/],
      [[input, '--key', key], /^sign: usage/],
      [[input, '--key'], /^sign: --key needs a value/],
      [[input, '--key', key, '--out', out, '--what'], /^sign: unknown option --what/],
      [[input, input, '--key', key, '--out', out], /^sign: one part image only/],
      [[join(dir, 'meter', 'none.img'), '--key', key, '--out', out], /^sign: cannot read .*none\.img: ENOENT/],
      [[input, '--key', join(dir, 'none.pem'), '--out', out], /^sign: cannot read .*none\.pem: ENOENT/],
      [[junk, '--key', key, '--out', out], /^sign: .*junk\.img: not a part image/],
      [[input, '--key', rsa, '--out', out], /^sign: .*not an ECDSA P-256 private key/],
      [[input, '--key', join(keys, 'legal.pub.pem'), '--out', out], /^sign: .*not a PEM private key/],
      [[input, '--key', key, '--out', out, '--version', '1.2'], /^sign: .*bad version '1\.2'/],
      [[input, '--key', key, '--out', out, '--version', '256.0.0'], /^sign: .*bad version '256\.0\.0'/],
      [[input, '--key', key, '--out', out, '--security-counter', '-1'], /^sign: bad --security-counter '-1'/],
      [[input, '--key', key, '--out', out, '--security-counter', 'x'], /^sign: bad --security-counter 'x'/],
      [[input, '--key', key, '--out', out, '--security-counter', '4294967296'], /^sign: bad --security-counter/],
      [[input, '--key', key, '--out', out, '--role', 'toaster'], /^sign: cannot tell the role/],
      [[loose, '--key', key, '--out', out], /^sign: cannot tell the role/],
      [[input, '--key', key, '--out', join(dir, 'no', 'such', 'dir', 'x')], /^sign: cannot write .*ENOENT/],
    ];
    for (const [args, what] of cases) refused(tool('sign', args), what);
    assert.ok(!existsSync(out), 'no output written on a refusal');
  });
});

describe('the public keys compiled into the firmware (tools/fwimage-keys.mjs, called by the build)', () => {
  it('generates development keys into an empty key folder, and says so', () => {
    const dir = join(tempDir(), 'keys');
    const said: string[] = [];
    const c: string = keysSource(dir, (m: string) => said.push(m));
    assert.equal(said.length, 1);
    assert.match(said[0]!, /no signing keys in .*: generated development keys/);
    for (const f of ['legal.pem', 'legal.pub.pem', 'nonlegal.pem', 'nonlegal.pub.pem']) assert.ok(existsSync(join(dir, f)), f);
    for (const cls of ['legal', 'nonlegal']) {
      const der = createPublicKey(readFileSync(join(dir, `${cls}.pub.pem`), 'utf8')).export({ type: 'spki', format: 'der' });
      const bytes = (b: Buffer): string => Array.from(b, (x) => `0x${x.toString(16).padStart(2, '0')}`).join(', ');
      assert.ok(c.includes(`spki_${cls}[91] = { ${bytes(der)} }`), `${cls} SubjectPublicKeyInfo embedded`);
      assert.ok(c.includes(`{ ${bytes(createHash('sha256').update(der).digest())} }`), `${cls} key hash embedded`);
    }
    const again: string[] = [];
    assert.equal(
      keysSource(dir, (m: string) => again.push(m)),
      c,
      'existing keys are kept',
    );
    assert.deepEqual(again, []);
  });

  it('embeds only public keys, and refuses a folder with private keys but no public ones', () => {
    const dir = join(tempDir(), 'keys');
    assert.equal(tool('keys', ['--out', dir]).status, 0);
    const c: string = keysSource(dir);
    assert.doesNotMatch(c, /PRIVATE/);
    rmSync(join(dir, 'nonlegal.pub.pem'));
    assert.throws(() => keysSource(dir), /nonlegal\.pub\.pem missing/);
    const prodOnly = join(tempDir(), 'prod');
    mkdirSync(prodOnly);
    writeFileSync(join(prodOnly, 'legal.pub.pem'), readFileSync(join(dir, 'legal.pub.pem')));
    writeFileSync(join(prodOnly, 'nonlegal.pub.pem'), readFileSync(join(dir, 'legal.pub.pem')));
    assert.match(keysSource(prodOnly), /spki_legal/, 'public keys alone (production) are enough');
  });
});
