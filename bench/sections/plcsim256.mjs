// PAN formation with 256 lin meters on the simulated clock (plcsim.mjs has 10 and 64), a section
// of its own so that `--only plcsim` stays quick and `--only plcsim256` runs it alone: all join at
// 1077.3 simulated s (seed 1), in about 5 minutes of wall time on a 2-core machine (257
// processes; every wake-up of a node is a step of the whole network), the longest section of
// `npm run bench`. Two runs give the same summary (its digest column).
import { plcsimSection } from './plcsim.mjs';

export default plcsimSection({ name: 'plcsim256', sizes: [256], order: 31 });
