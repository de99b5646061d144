// Replay protection over power cuts, on the lin meter with an NVRAM file: the management client
// (HLS-GMAC, ciphered) associates through the optical port and its requests are recorded; the
// meter is killed (SIGKILL) and restarted on the same NVRAM. The recorded ciphered AARQ (its
// glo-initiate-request) was accepted before the cut: replayed after it, it is refused as a replay
// (DLMS STATS counts it), because the meter kept the last invocation counter it accepted from
// the client (NON-LEGAL's NVRAM area, record id 3); a fresh request with a higher counter is
// accepted. A corrupt record never stops the meter: it traces the error, accepts the next
// counter (a replayed AARQ gets a fresh challenge its replayed reply cannot answer), and keeps
// counters again from there.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import type { FirmwareNode } from '../../emulator/node.js';
import { nodeGcm } from '../dlms/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { decodeAcse } from '../../modules/nonlegal/dlms/acse.js';
import { AcseServiceUserDiagnostic as SourceDiagnostic, Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { DlmsClient } from '../../modules/nonlegal/cosem/index.js';
import { MeterOnNvram, managementLink } from './helpers.js';

const KEYS = { encryptionKey: fromHex('000102030405060708090A0B0C0D0E0F'), authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const TITLE = fromHex('4D4D4D0000000002');

describe('DLMS replay protection over power cuts (lin, NVRAM file)', function () {
  this.timeout(120000);
  const meter = new MeterOnNvram('ic-replay');
  const { nvram } = meter;
  after(() => meter.dispose());
  const boot = () => meter.boot(),
    cut = () => meter.cut(),
    link = managementLink;
  const client = (n: FirmwareNode, ic: number, recorded?: Uint8Array[]) =>
    new DlmsClient({ link: link(n, recorded), gcm: nodeGcm, keys: KEYS, systemTitle: TITLE, invocationCounter: ic });
  /** Replays an AARQ on a new HDLC connection: the AARE's result and diagnostic, and the link. */
  const replay = async (n: FirmwareNode, aarq: Uint8Array) => {
    const l = link(n);
    await l.open();
    const r = decodeAcse(await l.request(aarq));
    assert.equal(r.kind, 'aare');
    return r.kind === 'aare' ? { result: r.result, diagnostic: r.diagnostic, link: l } : { result: -1, diagnostic: -1, link: l };
  };
  const security = async (n: FirmwareNode) => {
    const lines = await n.command('DLMS STATS', /^security /);
    const m = /^security authentication=(\d+) deciphering=(\d+) replay=(\d+) rejected=(\d+)/.exec(lines[lines.length - 1]!)!;
    return { authentication: Number(m[1]), replay: Number(m[3]), rejected: Number(m[4]) };
  };
  /** Corrupts both copies of the received-counter record (found by the client's title in them). */
  const corruptRecord = () => {
    const b = readFileSync(nvram),
      magic = Buffer.from('NLV1', 'latin1');
    let found = 0;
    for (let i = b.indexOf(magic); i >= 0; i = b.indexOf(magic, i + 1)) {
      if (Buffer.from(TITLE).equals(b.subarray(i + 8, i + 16))) {
        b[i + 9]! ^= 0x5a;
        found++;
      }
    }
    assert.equal(found, 2, 'both copies of the received counter record');
    writeFileSync(nvram, b);
  };

  it('refuses a ciphered AARQ recorded before the cut, accepts a fresh one; a corrupt record is survived', async () => {
    // boot 0: an association and some ciphered GETs, recorded
    let n = await boot();
    const recorded: Uint8Array[] = [];
    const c0 = client(n, 1000, recorded);
    await c0.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
    for (let k = 0; k < 5; k++) await c0.get(1, '0.0.96.1.0.255', 2);
    await c0.release();
    const [aarq, hlsReply] = recorded;
    assert.equal(aarq![0], 0x60, 'the first request recorded is the AARQ');
    assert.equal((await security(n)).replay, 0);
    await cut();

    // boot 1: the replayed AARQ is refused as a replay; a fresh client (higher counter) is served
    n = await boot();
    assert.notEqual((await replay(n, aarq!)).result, 0, 'the replayed AARQ is rejected');
    assert.deepEqual(await security(n), { authentication: 0, replay: 1, rejected: 1 });
    const c1 = client(n, c0.ic);
    await c1.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
    const v = await c1.get(1, '0.0.96.1.0.255', 2);
    assert.equal(v.type, 'octet-string');
    await c1.release();
    assert.equal((await security(n)).replay, 1, 'the fresh association is no replay');
    await cut();

    // boot 2: both copies of the record corrupt: the meter boots, says so, and accepts the next
    // counter; the replayed AARQ only gets a challenge that the replayed reply cannot answer
    corruptRecord();
    n = await boot();
    assert.ok(
      n.lines.some((l) => /^TRACE ERROR NON-LEGAL: security: received invocation counter record corrupt/.test(l)),
      n.tail(),
    );
    const r2 = await replay(n, aarq!);
    assert.deepEqual([r2.result, r2.diagnostic], [0, SourceDiagnostic.AUTHENTICATION_REQUIRED], 'accepted, pending a fresh challenge');
    await r2.link.request(hlsReply!);
    assert.equal((await security(n)).authentication, 1, 'the replayed f(StoC) does not answer the fresh challenge');
    const c2 = client(n, c1.ic);
    await c2.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
    await c2.get(1, '0.0.96.1.0.255', 2);
    await c2.release();
    await cut();

    // boot 3: the record was written again by boot 2's accepted counters: the replay is refused
    n = await boot();
    assert.notEqual((await replay(n, aarq!)).result, 0);
    assert.equal((await security(n)).replay, 1);
    await cut();
  });
});
