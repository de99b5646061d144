// A Renode board on the power-line medium (npm run sim -- --renode K, --concentrator renode):
// one Renode process per board, its shell (USART1) and its PLC modem port (USART3) on TCP socket
// terminals. The modem port is piped to the medium's socket, as QEMU's socket chardev does for
// a QEMU board, so the board runs on Renode's virtual time, paced by the host (docs/renode.md,
// "Renode boards on the power line"); the shell's bytes go to the node's output file and what
// the simulator types goes to the shell socket.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { findRenode, RENODE_INSTALL } from '../tools/renode.mjs';
import { connectTerminal, freePort, pipeToMedium, RENODE_PLATFORMS } from './node.js';

export interface RenodeBoardOptions {
  platform: 'stm32f405' | 'stm32f429';
  /** The image to load (its provisioning region already written). */
  elf: string;
  /** Renode's machine name. */
  name: string;
  /** The medium's Unix socket. */
  medium: string;
  /** The file the shell's bytes are appended to (the node's output, read by the simulator). */
  outPath: string;
  /** Renode's own output (its log and monitor answers). */
  logPath: string;
  /** The stm32f429 concentrator's backhaul (UART5) on a TCP server at this port (the head-end connects). */
  backhaulPort?: number;
  /** Wall time allowed for Renode to open its socket terminals (it parses the platform first). */
  openTimeoutMs?: number;
  /** Called once if the board cannot be wired (Renode exited, a socket did not open): it is killed. */
  onError?: (e: Error) => void;
}

export interface RenodeBoard {
  child: ChildProcess;
  /** The shell's input: buffered until the shell socket is connected. */
  input: PassThrough;
  /** Resolves once the emulation runs, with the shell and the modem port wired. */
  wired: Promise<void>;
  kill(): void;
}

/** The monitor script that loads a board and puts its UARTs on socket terminals. */
export function renodeBoardScript(
  o: Pick<RenodeBoardOptions, 'platform' | 'elf' | 'name' | 'backhaulPort'>,
  shellPort: number,
  modemPort: number,
): string {
  const repl = RENODE_PLATFORMS[o.platform];
  if (!repl) throw new Error(`no Renode platform for ${o.platform}`);
  return [
    `mach create "${o.name}"`,
    `machine LoadPlatformDescription @${repl}`,
    `sysbus LoadELF @${o.elf}`,
    // a machine reset (the watchdog, SYSRESETREQ) loads the image again and restarts from it
    `macro reset "sysbus LoadELF @${o.elf}"`,
    `emulation CreateServerSocketTerminal ${shellPort} "shell" false`,
    'connector Connect sysbus.usart1 shell',
    `emulation CreateServerSocketTerminal ${modemPort} "modem" false`,
    'connector Connect sysbus.usart3 modem',
    ...(o.backhaulPort !== undefined
      ? [`emulation CreateServerSocketTerminal ${o.backhaulPort} "backhaul" false`, 'connector Connect sysbus.uart5 backhaul']
      : []),
  ].join('; ');
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL'); // the launcher and Mono: a Renode left behind spins at 100 % CPU
  } catch {
    /* already gone */
  }
}

/**
 * Starts Renode with the board loaded (the emulation paused), then, without blocking the caller:
 * connects to its shell and modem terminals, connects the modem terminal to the medium, and only
 * then starts the emulation, so no boot line and no modem byte is lost.
 */
export async function startRenodeBoard(o: RenodeBoardOptions): Promise<RenodeBoard> {
  const found = findRenode();
  if (!found) throw new Error(RENODE_INSTALL);
  const shellPort = await freePort();
  const modemPort = await freePort();
  const log = openSync(o.logPath, 'a');
  const child = spawn(found.renode, ['--disable-xwt', '--console', '--plain', '-e', renodeBoardScript(o, shellPort, modemPort)], {
    stdio: ['pipe', log, log],
    detached: true,
  });
  closeSync(log);
  child.stdin!.on('error', () => undefined);
  const input = new PassThrough();
  const logTail = (): string => `(Renode's output: ${o.logPath})`;
  const timeout = o.openTimeoutMs ?? 180_000;
  const wired = (async (): Promise<void> => {
    const shell = await connectTerminal(shellPort, child, timeout, logTail);
    const modem = await connectTerminal(modemPort, child, timeout, logTail);
    const medium = await pipeToMedium(modem, o.medium);
    const out = openSync(o.outPath, 'a');
    let open = true;
    const closeOut = (): void => {
      if (open) closeSync(out);
      open = false;
    };
    shell.on('data', (d: Buffer) => {
      if (open) writeSync(out, d);
    });
    shell.on('close', closeOut);
    shell.on('error', () => undefined);
    input.pipe(shell);
    child.once('exit', () => {
      shell.destroy();
      modem.destroy();
      medium.destroy();
      closeOut();
    });
    child.stdin!.write('start\n');
  })();
  wired.catch((e: unknown) => {
    killGroup(child);
    o.onError?.(e instanceof Error ? e : new Error(String(e)));
  });
  return { child, input, wired, kill: () => killGroup(child) };
}
