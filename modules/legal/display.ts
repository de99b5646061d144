// The meter's display and buttons on the LCD model (generic/lcd.ts, 2 lines of 16): P1 scrolls
// up, P2 down through active, reactive and apparent energy and power; the text is refreshed
// every second with the last measured values. TPA (terminal cover) and TPB (magnetic field)
// are the tamper switches: main.ts journals them.
// Offsets in the metrology output (one definition: generic/shared/metro-record.ts).
import { MX_TOTAL as TOTAL, MX_ENERGY as ENERGY } from '../generic/shared/metro-record.js';

// label, unit, offset, scale (to the unit), decimals; energy registers are micro-units
const ITEMS: readonly (readonly [string, number, number, number])[] = [
  ['A+ kWh', ENERGY, 1e-9, 3], // active energy imported
  ['R+ kvarh', -1, 1e-9, 3], // reactive Q1 + Q2
  ['AP kVAh', ENERGY + 6, 1e-9, 3], // apparent
  ['P W', TOTAL, 1, 1],
  ['Q var', TOTAL + 1, 1, 1],
  ['S VA', TOTAL + 2, 1, 1],
];
export const BUTTONS = Object.freeze({ P1: 1, P2: 2, TPA: 3, TPB: 4 });
export const BUTTON_NAMES = ['', 'P1', 'P2', 'TPA', 'TPB'];

export class Display {
  item = 0;
  constructor(private readonly lcdPrint: (line: number, text: string) => void) {}

  /** P1 (up) or P2 (down); returns the item shown. */
  scroll(down: boolean): string {
    this.item = (this.item + (down ? 1 : ITEMS.length - 1)) % ITEMS.length;
    return ITEMS[this.item]![0];
  }

  refresh(now: Float64Array, flags: string): void {
    const [label, at, scale, decimals] = ITEMS[this.item]!;
    const v = at < 0 ? now[ENERGY + 2]! + now[ENERGY + 3]! : now[at]!;
    this.lcdPrint(0, `${label}${flags.padStart(16 - label.length)}`);
    this.lcdPrint(1, (v * scale).toFixed(decimals).padStart(16));
  }
}
