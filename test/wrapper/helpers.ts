// A meter on an NVRAM file for the power-cut tests of the DLMS security state (ic-replay,
// key-reboot): booted with its optical port (UART1) on a socket, killed (SIGKILL: a power cut),
// booted again on the same file; and an HDLC link to its management logical device (SAP 1),
// which can record the APDUs it sends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, type Platform } from '../../emulator/node.js';
import { serverAddress } from '../../modules/nonlegal/dlms/hdlc.js';
import { HdlcClientLink } from '../../modules/nonlegal/dlms/hdlc-link.js';

export class MeterOnNvram {
  readonly dir: string;
  readonly nvram: string;
  node: FirmwareNode | undefined;
  constructor(
    name: string,
    readonly platform: Platform = 'lin',
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `${name}-`));
    this.nvram = join(this.dir, 'meter.nv');
  }
  async boot(): Promise<FirmwareNode> {
    const node = await FirmwareNode.start({ platform: this.platform, role: 'meter', uart1: true, nvram: this.nvram });
    this.node = node;
    await node.waitFor(/^PARTS started$/);
    await node.uart1!.ready();
    return node;
  }
  async cut(): Promise<void> {
    this.node!.child.kill('SIGKILL');
    await this.node!.wait();
    this.node = undefined;
  }
  async dispose(): Promise<void> {
    await this.node?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** HDLC from client SAP 1 to the meter's management logical device; APDUs sent go to `recorded`. */
export function managementLink(n: FirmwareNode, recorded?: Uint8Array[]) {
  const u = n.uart1!;
  const l = new HdlcClientLink({ send: (b) => u.send(b), receive: () => u.receive(5000) }, 1, serverAddress(1, 17));
  if (!recorded) return l;
  return {
    open: () => l.open(),
    close: () => l.close(),
    request: (apdu: Uint8Array) => {
      recorded.push(apdu);
      return l.request(apdu);
    },
  };
}
