// NON-LEGAL part entry: the TCPIP task (net/tcpip.ts: IPv6/UDP over PLC's ADP service) and the APP
// task (app/app.ts: its UDP protocol). It reaches the other parts only through messages; the
// `APP PING` command sends X_SYS_PING to every part's task and prints the replies. TCPIP and
// APP load on demand where the manifest runs them (config.parts.nonlegal.net; off on the
// STM32F405, whose heap cannot hold their ~1,500 slots next to the rest yet).
import { X_SYS_PING, X_SYS_PONG } from '../generic/ids.js';
import type { RunServiceFn } from '../generic/services.js';
import type { App } from './app/app.js';

export function entryPoint(RunService: RunServiceFn): void {
  let udp: App | null = null;
  const app = RunService('task.create', {
    name: 'APP',
    priority: 4,
    queue: 32,
    onMessage: (m) => {
      if (m.id === X_SYS_PONG) {
        const p = m.payload as { readonly part?: string } | undefined;
        RunService('shell.print', `PONG ${p?.part ?? '?'} from task ${m.from}\r\n`);
      } else if (m.id === X_SYS_PING) RunService('msg.send', app, m.from, X_SYS_PONG, { part: 'NON-LEGAL' });
      else udp?.onMessage(m);
    },
  });
  RunService('shell.register', 'APP', 'PING', 0, '- ping the METRO, G3 and APP tasks through the message service', (_p, out) => {
    for (const name of ['METRO', 'G3', 'APP']) {
      const to = RunService('task.find', name);
      if (to === undefined) out(`PING ${name}: no task\r\n`);
      else RunService('msg.send', app, to, X_SYS_PING);
    }
  });
  const cfg = RunService('config') as
    | {
        readonly net?: boolean;
        readonly optical?: unknown;
        readonly dlmsClient?: unknown;
        readonly udpInactivityMs?: number;
        readonly udpMaxSessions?: number;
        readonly udpMaxQueue?: number;
        readonly tcpipMaxSockets?: number;
        readonly tcpipMaxInFlight?: number;
        readonly appMetroPendingMax?: number;
        readonly deviceLookupMax?: number;
        readonly dc?: unknown;
        readonly push?: unknown;
        readonly alarms?: unknown;
      }
    | undefined;
  let net: Promise<import('./net/tcpip.js').Tcpip | undefined> = Promise.resolve(undefined);
  if (cfg?.net) {
    net = Promise.all([import('./net/tcpip.js'), import('./app/app.js')]).then(
      ([t, a]) => {
        const ip = t.startTcpip(RunService, { maxSockets: cfg?.tcpipMaxSockets, maxInFlight: cfg?.tcpipMaxInFlight });
        udp = a.startApp(RunService, app, ip, { metroPendingMax: cfg?.appMetroPendingMax, deviceLookupMax: cfg?.deviceLookupMax });
        return ip;
      },
      (e: unknown) => {
        RunService('trace', 1, `TCPIP/APP failed to load: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      },
    );
  } else RunService('trace', 3, 'TCPIP/APP not run on this board (config parts.nonlegal.net)');
  RunService('trace', 3, 'APP task started');
  // The meter's DLMS application (meter/index.ts, its own task), where the manifest enables it
  // (config.optical), served on the optical port (optical/index.ts) and on UDP 4059 over the PLC
  // network where TCPIP runs too (net/wrapper-udp.ts).
  const optical = cfg?.optical;
  if (optical) {
    const o = optical as import('./optical/index.js').OpticalConfig;
    const meter = Promise.all([import('./meter/index.js'), import('./optical/index.js')]).then(([a, p]) =>
      p.start(RunService, a.startMeter(RunService, o), o),
    );
    Promise.all([
      meter,
      net,
      cfg?.net ? import('./net/wrapper-udp.js') : undefined,
      cfg?.net && cfg.push ? import('./meter/push.js') : undefined,
    ])
      .then(async ([m, ip, w, push]) => {
        if (ip && w)
          w.startWrapperUdp(RunService, ip, m.server, cfg?.udpInactivityMs, {
            maxSessions: cfg?.udpMaxSessions,
            maxQueue: cfg?.udpMaxQueue,
          });
        // alarms pushed to the concentrator (meter/push.ts), where the manifest configures them (config.push)
        if (ip && push) {
          const s = await import('./meter/ic-store.js');
          const o = optical as { deviceName: string };
          push.startAlarmPush(RunService, ip, m, cfg?.push as import('./meter/push.js').PushConfig, s.pushRecord(RunService), o.deviceName);
        }
      })
      .catch((e: unknown) => RunService('trace', 1, `DLMS server: ${e instanceof Error ? e.message : String(e)}`));
  }
  // The head-end link on the backhaul UART (headend/), where the manifest configures it.
  // The concentrator's records and alarms go there (the sink below).
  const headend = (cfg as { readonly headend?: unknown } | undefined)?.headend;
  const uplink: Promise<import('./dc/headend/uplink.js').Uplink | undefined> = headend
    ? import('./dc/headend/index.js')
        .then((h) => h.startHeadend(RunService, headend as import('./dc/headend/uplink.js').UplinkConfig))
        .catch((e: unknown) => {
          RunService('trace', 1, `head-end link: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        })
    : Promise.resolve(undefined);
  // The concentrator's DLMS client over UDP 4059 (dc/dlms-read.ts), where the manifest gives its keys.
  const client = cfg?.dlmsClient;
  if (client && cfg?.net) {
    Promise.all([net, import('./dc/dlms-read.js'), import('./meter/ic-store.js'), import('./dlms/bytes.js')])
      .then(async ([ip, d, s, { fromHex }]) => {
        if (!ip) return;
        const c = client as import('./dc/dlms-read.js').DlmsClientConfig;
        const dlms = d.startDlmsClient(RunService, ip, c, s.clientSecurity(RunService, fromHex(c.systemTitle)));
        const up = await uplink;
        // meters' alarm pushes on the same socket (dc/alarms.ts), where the manifest configures them
        if (cfg?.alarms) {
          const a = await import('./dc/alarms.js');
          const keys = { encryptionKey: fromHex(c.encryptionKey), authenticationKey: fromHex(c.authenticationKey) };
          const alarms = a.startAlarms(RunService, dlms, keys, dlms.gcm, cfg.alarms as import('./dc/alarms.js').AlarmsConfig);
          if (up) alarms.setSink(up);
        }
        // the concentrator's registry, sessions and scheduler (dc/), where the manifest configures
        // them, not next to a meter's DLMS server, whose counters and keys use the NVRAM bytes it keeps;
        // its records go to the head-end uplink, or (no backhaul on this board) are only counted
        if (cfg?.dc && !cfg.optical) {
          const dc = await import('./dc/index.js');
          dc.startConcentrator(RunService, dlms, cfg.dc as import('./dc/index.js').DcConfig, up ?? dc.countingSink());
        }
      })
      .catch((e: unknown) => RunService('trace', 1, `DLMS client: ${e instanceof Error ? e.message : String(e)}`));
  }
}
