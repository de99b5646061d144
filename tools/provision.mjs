// Writes a PLC provisioning record (layout: drivers/plcmodem/xs_provision.c).
//   node tools/provision.mjs --out FILE --eui64 0x... --psk HEX32 --seed HEX32
//        [--device 0xEUI:PSKHEX[:deny]]... [--listed-only] [--pad N]
// Programmatic: provisionRecord({ eui64, psk, seed, devices, listedOnly, pad }) -> Buffer.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

const euiBytes = (s) => {
  const v = BigInt(s);
  if (v < 0n || v > 0xffffffffffffffffn) throw new Error(`EUI-64 out of range: ${s}`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
};
const key = (s, what) => {
  const b = Buffer.from(String(s).replace(/^0x/, ''), 'hex');
  if (b.length !== 16) throw new Error(`${what}: 16 bytes (32 hex digits) expected`);
  return b;
};

export function provisionRecord({ eui64, psk, seed, devices = [], listedOnly = false, pad = 0 }) {
  const head = Buffer.alloc(48);
  head.write('G3PV', 0, 'latin1');
  head[4] = 1;
  head[5] = listedOnly ? 1 : 0;
  head.writeUInt16BE(devices.length, 6);
  euiBytes(eui64).copy(head, 8);
  key(psk, 'psk').copy(head, 16);
  key(seed, 'seed').copy(head, 32);
  const entries = devices.map((d) => Buffer.concat([euiBytes(d.eui64), key(d.psk, 'device psk'), Buffer.of(d.deny ? 1 : 0)]));
  const body = Buffer.concat([head, ...entries]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  const rec = Buffer.concat([body, crc]);
  return pad > rec.length ? Buffer.concat([rec, Buffer.alloc(pad - rec.length, 0xff)]) : rec;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { values } = parseArgs({
      options: {
        out: { type: 'string' },
        eui64: { type: 'string' },
        psk: { type: 'string' },
        seed: { type: 'string' },
        device: { type: 'string', multiple: true },
        'listed-only': { type: 'boolean' },
        pad: { type: 'string' },
      },
    });
    if (!values.out || !values.eui64 || !values.psk || !values.seed) throw new Error('--out, --eui64, --psk and --seed are required');
    const devices = (values.device ?? []).map((s) => {
      const [eui64, psk, flag] = s.split(':');
      if (flag !== undefined && flag !== 'deny') throw new Error(`--device ${s}: EUI:PSK[:deny]`);
      return { eui64, psk, deny: flag === 'deny' };
    });
    writeFileSync(values.out, provisionRecord({ ...values, devices, listedOnly: values['listed-only'], pad: Number(values.pad ?? 0) }));
  } catch (e) {
    process.stderr.write(`provision: ${e.message}\n`);
    process.exit(2);
  }
}
