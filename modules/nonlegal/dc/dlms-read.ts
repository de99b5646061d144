// The concentrator's DLMS/COSEM client over the UDP wrapper (port 4059) across the PLC
// network: cosem/client.ts (association, GET with block transfer, ACTION) on a wrapper link
// whose datagrams go through the TCPIP task. One operation at a time (up to 4 more wait their turn:
// the shell and the concentrator scheduler, dc/, share the link); a reply that does not
// come within REPLY_TIMEOUT_MS fails the operation with one ERROR line. Shell commands:
//   DLMS READ <meter> <ALL|k> <PUBLIC|MGMT>     every readable attribute of every object of the
//        object list (ALL) or of its k-th object; one line per attribute, then a summary:
//        DLMS OBJ <class>/<a.b.c.d.e.f>/<attr> <A-XDR data, hex>   (or ... ERROR <code>)
//        DLMS READ meter=0x<short> client=<wPort> objects=<n> attributes=<n> errors=<n>
//             [server.ic=<n>] apdu.tx=<bytes> apdu.rx=<bytes> datagrams=<n> ms=<elapsed>
//        (server.ic, with MGMT: the last invocation counter the meter used)
//   DLMS PROFILE <meter> <entries 1..960> <PUBLIC|MGMT>   the last <entries> rows of the load
//        profile (1.0.99.1.0.255, selective access by entry): DLMS PROFILE meter=.. client=..
//        entries=<rows> bytes=<A-XDR bytes> first=<time> last=<time> apdu.tx=.. apdu.rx=..
//        datagrams=.. ms=..
//   DLMS DISCONNECT <meter> <OPEN|CLOSE> <PUBLIC|MGMT>    Disconnect control remote_disconnect
//        (OPEN) or remote_reconnect (CLOSE): DLMS DISCONNECT meter=.. relay=<open|closed>
//   DLMS KEY <ENC|AUTH> <w0> <w1> <w2> <w3>     sets the global key used (four 32-bit words)
// <meter> is a short address or -i for the i-th line of PLC DEVICES. PUBLIC is client wPort
// 16 (no security), MGMT wPort 1 (HLS-GMAC, security suite 0, ciphered APDUs).
import { accept, formatMalformed, type MalformedCounts } from '../../generic/shared/messages.js';
import { APP_RX_EVENT } from '../../generic/shared/net-messages.js';
import { DeviceLookup, validMeter, METER_RANGE } from '../app/devices.js';
import type { RunServiceFn } from '../../generic/services.js';
import type { Message } from '../../generic/kernel.js';
import type { ShellPrint } from '../../generic/shell.js';
import type { TimerModule } from '../../generic/timer.js';
import { encodeData, type DlmsData } from '../dlms/axdr.js';
import { fromHex, toHex } from '../dlms/bytes.js';
import type { Gcm, SecurityKeys } from '../dlms/security.js';
import { WPort } from '../dlms/wrapper.js';
import { Mechanism } from '../dlms/xdlms-const.js';
import { DlmsClient, DlmsError, type ClientSecurity } from '../cosem/client.js';
import { WrapperClientLink, type ByteTransport } from '../dlms/link.js';
import { ClassId } from '../cosem/cosem-const.js';
import { items, num, octets, dateTimeOf } from '../cosem/data.js';
import type { Tcpip } from '../net/tcpip.js';
import type { CryptoDriver } from 'drivers/crypto/crypto-driver';
import { fromDateTime } from '../cosem/clock.js';
import { formatCounters } from '../../generic/shared/format.js';

export const REPLY_TIMEOUT_MS = 30000;
/**
 * Until the first reply of an operation, the request is sent again after this long (twice at
 * most): the first datagram to a meter waits for LOADng route discovery and may be lost. Once the
 * meter has answered nothing is resent (a resent ciphered APDU would be a replay).
 */
export const FIRST_RESEND_MS = 10000;
/**
 * client-max-receive-pdu-size proposed to meters: 512 keeps a reply within three ADP fragments
 * (the modem's transmit queue holds 8 frames; a 1 KB datagram's 6 fragments behind other traffic
 * overflowed it), longer values come in GET blocks.
 */
export const CLIENT_MAX_PDU = 512;
/** Operations that wait for the link while one runs (a shell command behind the scheduler's read). */
const EXEC_QUEUE = 4;
/** Datagrams kept while none is awaited (late or stray ones). */
const RX_QUEUE = 4;
/** Hex of one value printed at most (bytes); longer ones end with "...(<n> bytes)". */
const PRINT_MAX = 512;
const PROFILE = '1.0.99.1.0.255';
const DISCONNECT = '0.0.96.3.10.255';

export interface DlmsClientConfig {
  /** Client system title, 16 hex digits. */
  systemTitle: string;
  encryptionKey: string;
  authenticationKey: string;
  /** Deepest nesting of arrays/structures accepted in a meter's Data. Default 16. */
  maxDataDepth?: number;
}

const ln = (b: Uint8Array): string => Array.prototype.join.call(b, '.');
const hex4 = (v: number): string => (v & 0xffff).toString(16).padStart(4, '0');

export class DlmsUdpClient {
  private busy = false;
  /** Operations waiting for the link (exec), EXEC_QUEUE at most. */
  private readonly turns: (() => void)[] = [];
  private meter = 0;
  private rx: Uint8Array[] = [];
  private last: Uint8Array | undefined;
  private answered = false;
  private waiter: ((d: Uint8Array | undefined) => void) | null = null;
  readonly devices: DeviceLookup;
  readonly malformed: MalformedCounts = {};
  private readonly keys: SecurityKeys;
  private readonly title: Uint8Array;
  private readonly maxDepth: number | undefined;
  readonly counters = { tx: 0, rx: 0, apduTx: 0, apduRx: 0, stale: 0, timeouts: 0, resent: 0 };
  /** Meters' pushes on this socket go here first (dc/alarms.ts): true when taken. */
  unsolicited: ((src: number, data: Uint8Array) => boolean) | undefined;

  constructor(
    private readonly rs: RunServiceFn,
    readonly task: number,
    private readonly ip: Tcpip,
    private readonly timers: TimerModule,
    readonly gcm: Gcm,
    cfg: DlmsClientConfig,
    private readonly sec: ClientSecurity,
  ) {
    this.keys = { encryptionKey: fromHex(cfg.encryptionKey), authenticationKey: fromHex(cfg.authenticationKey) };
    this.title = fromHex(cfg.systemTitle);
    this.devices = new DeviceLookup(rs, task, timers);
    this.maxDepth = cfg.maxDataDepth;
    ip.bind(WPort.UDP_PORT, task);
  }

  onMessage(m: Message): void {
    if (this.devices.onMessage(m)) return;
    if (m.from !== this.ip.task) return;
    const p = accept(APP_RX_EVENT, m, this.malformed);
    if (!p) return;
    const data = p.data;
    if (this.unsolicited?.(p.src, data)) return;
    if (p.src !== this.meter || !this.busy) {
      this.counters.stale++;
      return;
    }
    this.counters.rx++;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(data);
    } else if (this.rx.length < RX_QUEUE) this.rx.push(data);
    else this.counters.stale++;
  }

  /** The short address of the meter of the running (or last) operation. */
  get target(): number {
    return this.meter;
  }

  setKey(which: 'enc' | 'auth', key: Uint8Array): void {
    if (which === 'enc') this.keys.encryptionKey = key;
    else this.keys.authenticationKey = key;
  }

  private transport(): ByteTransport {
    return {
      send: (b) => {
        this.last = b;
        this.sendLast();
        this.counters.apduTx += b.length - 8;
      },
      receive: () => {
        const d = this.rx.shift();
        if (d) return Promise.resolve(this.got(d));
        return new Promise<Uint8Array>((resolve, reject) => {
          let resends = 0;
          const r = this.timers.repeat(() => {
            if (this.answered || resends >= 2) {
              this.timers.clear(r);
              return;
            }
            resends++;
            this.counters.resent++;
            try {
              this.sendLast();
            } catch {
              /* counted by TCPIP; the time-out reports it */
            }
          }, FIRST_RESEND_MS);
          const t = this.timers.set(() => {
            this.timers.clear(r);
            this.waiter = null;
            this.counters.timeouts++;
            reject(new Error(`no reply in ${REPLY_TIMEOUT_MS / 1000} s`));
          }, REPLY_TIMEOUT_MS);
          this.waiter = (b) => {
            this.timers.clear(t);
            this.timers.clear(r);
            resolve(this.got(b as Uint8Array));
          };
        });
      },
    };
  }

  private sendLast(): void {
    const why = this.ip.sendUdp(this.meter, WPort.UDP_PORT, WPort.UDP_PORT, this.last!);
    if (why) throw new Error(`UDP: ${why}`);
    this.counters.tx++;
  }

  private got(d: Uint8Array): Uint8Array {
    this.answered = true;
    this.counters.apduRx += Math.max(0, d.length - 8);
    return d;
  }

  /** Runs one operation: resolves the meter, associates as `client`, runs `body`, releases. */
  run(name: string, meter: number, client: number, out: ShellPrint, body: (c: DlmsClient, start: number) => Promise<string>): void {
    const start = this.rs('misc.uptime');
    const c0 = { ...this.counters };
    const traffic = () =>
      `apdu.tx=${this.counters.apduTx - c0.apduTx} apdu.rx=${this.counters.apduRx - c0.apduRx} datagrams=${this.counters.tx - c0.tx + this.counters.rx - c0.rx} ms=${this.rs('misc.uptime') - start}`;
    this.exec(meter, client, (c) => body(c, start)).then(
      ({ value, c }) =>
        out(`${client === WPort.MANAGEMENT_LOGICAL_DEVICE ? `${value} server.ic=${c.serverInvocationCounter}` : value} ${traffic()}\r\n`),
      (e: unknown) =>
        out(
          `ERROR DLMS ${name}: ${e instanceof DlmsError ? e.message : e instanceof Error ? e.message : String(e)}${this.meter ? ` (meter 0x${hex4(this.meter)})` : ''}\r\n`,
        ),
    );
  }

  /**
   * One operation as a promise (the concentrator's scheduler, dc/): throws at once when one is
   * running; resolves with body's value once the association is released.
   */
  exec<T>(meter: number, client: number, body: (c: DlmsClient) => Promise<T>): Promise<{ value: T; c: DlmsClient }> {
    if (this.busy) {
      // a shell command and the concentrator's scheduler share the one link: wait for it, bounded
      if (this.turns.length >= EXEC_QUEUE) throw new Error('busy: a request is running');
      if (!validMeter(meter)) throw new RangeError(METER_RANGE);
      return new Promise<void>((r) => this.turns.push(r)).then(() => this.exec(meter, client, body));
    }
    if (!validMeter(meter)) {
      throw new RangeError(METER_RANGE);
    }
    if (client !== WPort.PUBLIC_CLIENT && client !== WPort.MANAGEMENT_LOGICAL_DEVICE) throw new RangeError('client: PUBLIC or MGMT');
    this.busy = true;
    this.rx = [];
    this.answered = false;
    const go = async (): Promise<{ value: T; c: DlmsClient }> => {
      this.meter = await this.devices.resolve(meter);
      const mgmt = client === WPort.MANAGEMENT_LOGICAL_DEVICE;
      const c = new DlmsClient({
        link: new WrapperClientLink(this.transport(), client, WPort.MANAGEMENT_LOGICAL_DEVICE, 2048),
        gcm: this.gcm,
        keys: this.keys,
        systemTitle: this.title,
        invocationCounter: this.sec.invocationCounter(),
        onInvocationCounter: (ic) => this.sec.used(ic),
        random: (n) => this.sec.random(n),
        maxPduSize: CLIENT_MAX_PDU,
        ...(this.maxDepth === undefined ? {} : { maxDepth: this.maxDepth }),
      });
      await c.associate(mgmt ? { mechanism: Mechanism.HIGH_GMAC, ciphered: true } : {});
      const value = await body(c);
      await c.release();
      return { value, c };
    };
    const done = () => {
      this.busy = false;
      this.turns.shift()?.();
    };
    return go().then(
      (r) => {
        done();
        return r;
      },
      (e: unknown) => {
        done();
        throw e;
      },
    );
  }

  /** Every readable attribute of every listed object (which = 0) or of the which-th one. */
  async readAll(c: DlmsClient, which: number, out: ShellPrint): Promise<string> {
    const list = items(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 2)) ?? [];
    if (which > list.length) throw new RangeError(`object ${which} of ${list.length}`);
    let attributes = 0,
      errors = 0,
      objects = 0;
    for (let k = which ? which - 1 : 0; k < (which ? which : list.length); k++) {
      const e = items(list[k]);
      const cls = num(e?.[0]),
        name = octets(e?.[2]),
        rights = items(items(e?.[3])?.[0]);
      if (cls === undefined || !name || !rights) throw new DlmsError(0, `object list entry ${k + 1} malformed`);
      objects++;
      for (const a of rights) {
        const [id, access] = items(a) ?? [];
        const attr = num(id),
          acc = num(access);
        if (attr === undefined || acc === undefined || !(acc & 1)) continue;
        attributes++;
        const head = `DLMS OBJ ${cls}/${ln(name)}/${attr}`;
        try {
          out(`${head} ${printable(await c.get(cls, name, attr))}\r\n`);
        } catch (err) {
          if (!(err instanceof DlmsError) || err.message.startsWith('exception')) throw err;
          errors++;
          out(`${head} ERROR ${err.code}\r\n`);
        }
      }
    }
    return `objects=${objects} attributes=${attributes} errors=${errors}`;
  }

  async profile(c: DlmsClient, entries: number): Promise<string> {
    const n = num(await c.get(ClassId.PROFILE_GENERIC, PROFILE, 7)) ?? 0;
    const rows = n === 0 ? [] : await c.readProfileByEntry(PROFILE, Math.max(1, n - entries + 1), n);
    const time = (r: DlmsData | undefined): string => {
      const d = dateTimeOf(items(r)?.[0]),
        t = d && fromDateTime(d);
      return t === undefined ? '-' : String(t);
    };
    const bytes = encodeData({ type: 'array', items: rows }).length;
    return `entries=${rows.length} bytes=${bytes} first=${time(rows[0])} last=${time(rows[rows.length - 1])}`;
  }

  async disconnect(c: DlmsClient, close: boolean): Promise<string> {
    await c.action(ClassId.DISCONNECT_CONTROL, DISCONNECT, close ? 2 : 1, { type: 'integer', value: 0 });
    const v = await c.get(ClassId.DISCONNECT_CONTROL, DISCONNECT, 2);
    return `relay=${v.type === 'boolean' && v.value ? 'closed' : 'open'}`;
  }
}

/** A value as its A-XDR encoding in hex (exact, and decodable by any DLMS tool), bounded. */
function printable(d: DlmsData): string {
  const b = encodeData(d);
  return b.length <= PRINT_MAX ? toHex(b) : `${toHex(b.subarray(0, PRINT_MAX))}...(${b.length} bytes)`;
}

const CLIENTS = { PUBLIC: WPort.PUBLIC_CLIENT, MGMT: WPort.MANAGEMENT_LOGICAL_DEVICE };

export function startDlmsClient(rs: RunServiceFn, ip: Tcpip, cfg: DlmsClientConfig, sec: ClientSecurity): DlmsUdpClient {
  const crypto = rs('driver.get', 'crypto') as CryptoDriver;
  const gcm: Gcm = {
    encrypt: (k, iv, a, p) => crypto.gcmEncrypt(k, iv, a, p),
    decrypt: (k, iv, a, c, t) => crypto.gcmDecrypt(k, iv, a, c, t),
  };
  let client: DlmsUdpClient | undefined;
  const task = rs('task.create', { name: 'DLMSCLI', priority: 4, queue: 8, onMessage: (m) => client?.onMessage(m) });
  const c = (client = new DlmsUdpClient(rs, task, ip, rs('timer.module') as TimerModule, gcm, cfg, sec));
  rs(
    'shell.register',
    'DLMS',
    'READ',
    3,
    '<meter> <ALL|k> <PUBLIC|MGMT> - every readable attribute of every object (or of the k-th) over UDP 4059',
    (p, out) => {
      const which = p[1]!;
      if (!(which >= 0 && which <= 255)) throw new RangeError('ALL or an object number 1..255');
      c.run('READ', p[0]!, p[2]!, out, async (d) => {
        const s = await c.readAll(d, which, out);
        return `DLMS READ meter=0x${hex4(c.target)} client=${p[2]} ${s}`;
      });
    },
    { ALL: 0, ...CLIENTS },
  );
  rs(
    'shell.register',
    'DLMS',
    'PROFILE',
    3,
    '<meter> <entries 1..960> <PUBLIC|MGMT> - the last entries of the load profile over UDP 4059',
    (p, out) => {
      const n = p[1]!;
      if (!(n >= 1 && n <= 960)) throw new RangeError('entries 1..960');
      c.run('PROFILE', p[0]!, p[2]!, out, async (d) => `DLMS PROFILE meter=0x${hex4(c.target)} client=${p[2]} ${await c.profile(d, n)}`);
    },
    CLIENTS,
  );
  rs(
    'shell.register',
    'DLMS',
    'DISCONNECT',
    3,
    '<meter> <OPEN|CLOSE> <PUBLIC|MGMT> - Disconnect control: open (remote_disconnect) or close the relay',
    (p, out) => {
      if (p[1] !== 0 && p[1] !== 1) throw new RangeError('OPEN or CLOSE');
      c.run(
        'DISCONNECT',
        p[0]!,
        p[2]!,
        out,
        async (d) => `DLMS DISCONNECT meter=0x${hex4(c.target)} client=${p[2]} ${await c.disconnect(d, p[1] === 1)}`,
      );
    },
    { OPEN: 0, CLOSE: 1, ...CLIENTS },
  );
  rs(
    'shell.register',
    'DLMS',
    'KEY',
    5,
    '<ENC|AUTH> <w0> <w1> <w2> <w3> - the global key the client uses (128 bits as four 32-bit words)',
    (p, out) => {
      const key = new Uint8Array(16);
      for (let k = 0; k < 4; k++) {
        const w = p[k + 1]! >>> 0;
        key[4 * k] = w >>> 24;
        key[4 * k + 1] = (w >>> 16) & 255;
        key[4 * k + 2] = (w >>> 8) & 255;
        key[4 * k + 3] = w & 255;
      }
      c.setKey(p[0] === 1 ? 'auth' : 'enc', key);
      out(`DLMS KEY ${p[0] === 1 ? 'AUTH' : 'ENC'} set\r\n`);
    },
    { ENC: 0, AUTH: 1 },
  );
  rs('shell.register', 'DLMS', 'CLIENT', 0, '- DLMS client over UDP 4059: datagrams, APDU bytes, stale replies, time-outs', (_p, out) => {
    out(
      `dlms.client port=${WPort.UDP_PORT} ${formatCounters(c.counters)} dropped{${formatMalformed({ ...c.malformed, ...c.devices.malformed })}}\r\n`,
    );
  });
  return c;
}
