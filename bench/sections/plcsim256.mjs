// PAN formation with 256 lin meters on the simulated clock (plcsim.mjs has 10 and 64). Runs only
// when named (node bench/run.mjs --only plcsim256): all join at 1077.3 simulated s (seed 1), in
// about 5 minutes of wall time on a 2-core machine (257 processes; every wake-up of a
// node is a step of the whole network). Two runs give the same summary (its digest column).
import { plcsimSection } from './plcsim.mjs';

export default plcsimSection({ name: 'plcsim256', sizes: [256], order: 31, explicit: true });
