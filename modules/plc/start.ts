// Starts the G3-PLC stack where the manifest runs it (loaded on demand by main.ts): reads the
// provisioning record, builds the stack (stack.ts) over GENERIC's drivers, registers the PLC
// shell commands (shell.ts) and opens the modem port.
import type { RunServiceFn } from '../generic/services.js';
import type { PlcModemDriver } from 'drivers/plcmodem/plcmodem';
import type { PlcCryptoDriver } from 'drivers/crypto/crypto';
import type { MacFrameDriver, MacRxTxDriver } from 'drivers/macframe/macframe';
import { parseProvisioning, type Provisioning } from './provision.js';
import { registerPlcShell } from './shell.js';
import { G3Stack } from './stack.js';
import type { PlcConfig } from './stack-context.js';

export function startStack(rs: RunServiceFn, cfg: PlcConfig): G3Stack | null {
  const record = (rs('driver.get', 'provision') as { read(): Uint8Array | string }).read();
  if (typeof record === 'string') {
    rs('trace', 2, `PLC stack not started: provisioning ${record}`);
    return null;
  }
  let prov: Provisioning;
  try {
    prov = parseProvisioning(record, cfg.role === 'concentrator' ? cfg.maxDevices : 0);
  } catch (e) {
    rs('trace', 1, `PLC stack not started: provisioning ${e instanceof Error ? e.message : String(e)}`);
    rs('shell.print', `PLC not provisioned: ${e instanceof Error ? e.message : String(e)}\r\n`);
    return null;
  }
  const modem = rs('driver.get', 'plcmodem') as PlcModemDriver;
  const crypto = rs('driver.get', 'plccrypto') as PlcCryptoDriver;
  const g3 = new G3Stack(rs, cfg, prov, modem, crypto, rs('driver.get', 'macframe') as MacFrameDriver & MacRxTxDriver);
  registerPlcShell(rs, g3);
  g3.start();
  return g3;
}
