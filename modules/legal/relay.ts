// X_METRO_RELAY {connect} -> X_METRO_RELAY_STATE {connected}: drives the load relay of the
// front-end (drivers/metrology: while open the currents read 0). Asked by NON-LEGAL's
// Disconnect control object, which checks the client's rights first. A request without a
// boolean `connect` changes nothing and reports the state. Where LEGAL keeps its registers in
// NVRAM (legal.ts) it answers X_METRO_RELAY itself and keeps the state across resets; this
// module serves only where it does not (no event log, e.g. the STM32F405): closed after a reset.
import type { MetroDriver } from 'drivers/metrology/metro-driver';

let connected = true;

export function relay(driver: MetroDriver, connect: boolean | undefined): boolean {
  if (connect !== undefined) connected = driver.relay(connect);
  return connected;
}
