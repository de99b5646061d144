// DLMS GET of one day of load profile (96 entries, selective access by entry) over the UDP
// wrapper across the PLC network: a lin concentrator's `DLMS PROFILE <meter> 96 <client>` to a lin
// meter one hop away, whose profile holds 96 entries (96 x `DLMS CAPTURE`). Measured on the
// REAL-TIME medium (the simulated clock of the lin concentrator is not reliable once meters join):
// bytes on the wire and airtime are the medium's totals over the read (every MAC frame, retry and
// ACK; MPDU bytes without FCS; G.9903 airtime computed per frame by the medium), so they do not
// depend on the host's speed; the wall time is what the read took on this machine.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFigures } from '../lib.mjs';

const ENTRIES = 96;

export default {
  name: 'dlmsplc',
  title: `DLMS GET of the load profile (${ENTRIES} entries, one day at 15 min) over UDP 4059 across the PLC network,\n` +
    'lin concentrator to a lin meter (one hop), real-time medium: APDU bytes, bytes and airtime on the power line\n' +
    '(medium totals: frames, retries and ACKs), wall time',
  order: 35,
  columns: [
    { header: 'client', key: true, align: 'left', value: (r) => r.client },
    { header: 'entries', value: (r) => r.entries },
    { header: 'A-XDR bytes', value: (r) => r.axdr },
    { header: 'APDU tx', value: (r) => r.apduTx },
    { header: 'APDU rx', value: (r) => r.apduRx },
    { header: 'datagrams', value: (r) => r.datagrams },
    { header: 'MAC frames', value: (r) => r.frames },
    { header: 'bytes on air', value: (r) => r.bytes },
    { header: 'airtime (s)', value: (r) => r.airtimeS?.toFixed(2) },
    { header: 'wall (s)', value: (r) => r.wallS?.toFixed(1) },
  ],

  async run(ctx) {
    if (!ctx.platforms.includes('lin')) return [];
    const { FirmwareNode } = ctx.harness;
    const { Medium } = await import('../../emulator/medium/medium.ts');
    const { provisionRecord } = await import('../../tools/provision.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'bench-dlmsplc-'));
    const sock = join(dir, 'plc.sock');
    const file = (name, b) => { const f = join(dir, name); writeFileSync(f, b); return f; };
    const psk = (n) => n.toString(16).padStart(32, '0');
    const medium = new Medium({ seed: 5 });
    const nodes = [];
    try {
      await medium.listen(sock);
      const c = await FirmwareNode.start({ platform: 'lin', role: 'concentrator', args: ['--modem', sock, '--provision',
        file('c.bin', provisionRecord({ eui64: '0x1', psk: psk(1), seed: 'c1'.repeat(16), devices: [{ eui64: '0x2', psk: psk(2) }] }))] });
      nodes.push(c);
      await c.waitFor(/^PLC PAN pan=/, 20000);
      const m = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', sock, '--provision',
        file('m.bin', provisionRecord({ eui64: '0x2', psk: psk(2), seed: psk(0x102) }))] });
      nodes.push(m);
      const short = '0x' + /short=0x([0-9a-f]{4})/.exec(await m.waitFor(/^PLC JOINED /, 90000))[1];
      for (let k = 0; k < ENTRIES; k++) await m.command('DLMS CAPTURE', /^profile entries=|^ERROR/);
      const rows = [];
      for (const client of ['PUBLIC', 'MGMT']) {
        const s0 = medium.stats(), t0 = Date.now();
        const lines = await c.command(`DLMS PROFILE ${short} ${ENTRIES} ${client}`, /^DLMS PROFILE meter=|^ERROR/, 300000);
        const end = lines[lines.length - 1];
        const wallS = (Date.now() - t0) / 1000, s1 = medium.stats();
        if (end.startsWith('ERROR')) { rows.push({ client, error: end }); continue; }
        const f = parseFigures([end.replace(/^DLMS PROFILE /, '')]);
        rows.push({
          client, entries: f.entries, axdr: f.bytes, apduTx: f['apdu.tx'], apduRx: f['apdu.rx'], datagrams: f.datagrams,
          frames: s1.framesSent + s1.acksSent - s0.framesSent - s0.acksSent, bytes: s1.bytesOnAir - s0.bytesOnAir,
          airtimeS: (s1.airtimeUs - s0.airtimeUs) / 1e6, wallS,
        });
      }
      return rows;
    } catch (e) {
      return [{ client: 'error', error: String(e.message ?? e).trimEnd() }];
    } finally {
      for (const n of nodes) await n.stop();
      await medium.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
