// Sustained voltage and reverse-energy detection on the per-second results (EN 50160 style
// over- and undervoltage: the 1-s Vrms beyond a threshold for at least sustainS seconds;
// interruptions are not undervoltage). Sag, swell, interruption and tamper come timed to the
// block from C (drivers/metrology/pq.h). Each event is reported when it ends, with its start
// and duration (1-s resolution here), and announced once it qualifies (over/undervoltage after
// sustainS, reverse energy at once) so that LEGAL can keep it across a power cut.

export interface VoltageConfig {
  readonly declaredMv: number; // declared supply voltage Uc
  readonly sagPermille: number; // IEC 61000-4-30: dip below 90 %
  readonly swellPermille: number; // swell above 110 %
  readonly interruptionPermille: number; // interruption below 5 %
  readonly hysteresisPermille: number; // 2 %
  readonly overPermille: number; // EN 50160: +10 %
  readonly underPermille: number; // -10 %
  readonly sustainS: number; // seconds beyond the limit before it is an event
}

export const OVER = 6,
  UNDER = 7,
  REVERSE = 8;
type Report = (type: number, phase: number, start: number, duration: number, value: number) => void;
type Announce = (type: number, phase: number, start: number, value: number) => void;

export class SustainedDetector {
  // per phase: kind (0, OVER, UNDER), start time, extreme V; then reverse: start, peak export W
  private readonly kind = [0, 0, 0];
  private readonly start = [0, 0, 0];
  private readonly ext = [0, 0, 0];
  private readonly announced = [false, false, false];
  private revStart = -1;
  private revPeak = 0;

  constructor(
    private readonly cfg: VoltageConfig,
    private readonly report: Report,
    private readonly announce: Announce = () => undefined,
  ) {}

  /** One measured second ending at `time` (ms): V per phase, total P (W). */
  second(time: number, volts: readonly number[], p: number, reverse: boolean): void {
    const c = this.cfg,
      uc = c.declaredMv / 1000;
    for (let k = 0; k < volts.length; k++) {
      const v = volts[k]!;
      const now =
        v > (uc * c.overPermille) / 1000
          ? OVER
          : v < (uc * c.underPermille) / 1000 && v >= (uc * c.interruptionPermille) / 1000
            ? UNDER
            : 0;
      if (now !== this.kind[k]) {
        this.end(k, time - 1000);
        if (now) {
          this.kind[k] = now;
          this.start[k] = time - 1000;
          this.ext[k] = v;
          this.announced[k] = false;
        }
      } else if (now) this.ext[k] = now === OVER ? Math.max(this.ext[k]!, v) : Math.min(this.ext[k]!, v);
      if (now && !this.announced[k] && time - this.start[k]! >= c.sustainS * 1000) {
        this.announced[k] = true;
        this.announce(now, k + 1, this.start[k]!, this.ext[k]! * 1000);
      }
    }
    if (reverse) {
      if (this.revStart < 0) {
        this.revStart = time - 1000;
        this.revPeak = 0;
        this.announce(REVERSE, 0, this.revStart, 0);
      }
      this.revPeak = Math.max(this.revPeak, -p);
    } else if (this.revStart >= 0) {
      this.report(REVERSE, 0, this.revStart, time - 1000 - this.revStart, this.revPeak);
      this.revStart = -1;
    }
  }

  private end(k: number, time: number) {
    const kind = this.kind[k]!;
    this.kind[k] = 0;
    if (kind && time - this.start[k]! >= this.cfg.sustainS * 1000)
      this.report(kind, k + 1, this.start[k]!, time - this.start[k]!, this.ext[k]! * 1000);
  }
}
