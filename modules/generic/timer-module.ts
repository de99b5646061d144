// Module "timer" (Moddable's shape) for GENERIC's own code: Timer.set / repeat / schedule /
// clear / delay over the message service's timers. Parts get their own instance from
// RunService('timer.module'), whose timers belong to them.
import { timerModule } from 'generic/system';

const Timer = timerModule('generic');
export default Timer;
