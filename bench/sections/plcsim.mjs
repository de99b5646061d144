// PAN formation on the simulated clock: a concentrator and 10 and 64 lin meters (this section;
// 256 in plcsim256.mjs, on request) on a generated topology (emulator/sim.ts generateTopology:
// four feeders, three phases, far meters out of the concentrator's reach), run until every
// meter has joined. Join time is simulated seconds (the medium's clock); wall time is what the
// run took on this machine. Capped at LIMIT_S simulated seconds. The same seed gives the same
// summary (test/plcsim/sim.test.ts): `digest` (its SHA-256, first 12 hex digits) compares runs,
// and a run any of whose nodes' clocks depended on the host's scheduling (the summary's
// nodeClocks) is an error.
import { createHash } from 'node:crypto';

const SEED = 1;
const LIMIT_S = 1800;

/** A bench section that forms the PAN with each of `sizes` meters. */
export function plcsimSection({ name, sizes, order, explicit = false, note = '' }) {
  return {
    name,
    title:
      `G3-PLC PAN formation, lin meters on the medium's simulated clock (seed ${SEED}, generated topology,\n` +
      `until all joined, capped at ${LIMIT_S} simulated s): join time in simulated seconds, wall time${note}`,
    order,
    explicit,
    columns: [
      { header: 'meters', key: true, value: (r) => r.meters },
      { header: 'joined', value: (r) => (r.joined == null ? null : `${r.joined}/${r.meters}`) },
      { header: 'join time (sim s)', value: (r) => r.joinTimeS?.toFixed(1) },
      { header: 'median meter (sim s)', value: (r) => r.medianJoinS?.toFixed(1) },
      { header: 'max hops', value: (r) => r.maxHops },
      { header: 'frames', value: (r) => r.frames },
      { header: 'lost', value: (r) => r.lost },
      { header: 'retries', value: (r) => r.retries },
      { header: 'wake-ups', value: (r) => r.wakeUps },
      { header: 'digest', value: (r) => r.digest },
      { header: 'wall (s)', value: (r) => r.wallS?.toFixed(1) },
    ],

    async run(ctx) {
      if (!ctx.platforms.includes('lin')) return [];
      const { runSim } = await import('../../emulator/sim.ts');
      const rows = [];
      for (const meters of sizes) {
        const row = { meters };
        const wall = Date.now();
        ctx.log(`${name}: ${meters} meters`);
        try {
          const s = await runSim({ meters, board: 0, seed: SEED, until: 'joined', limitS: LIMIT_S }, () => undefined);
          const times = Object.values(s.joinTimeS.perMeter)
            .filter((t) => t !== null)
            .sort((a, b) => a - b);
          Object.assign(row, {
            joined: s.joined,
            joinTimeS: s.joinTimeS.total ?? undefined,
            medianJoinS: times.length ? times[Math.floor(times.length / 2)] : undefined,
            maxHops: s.hops.max,
            hopsHistogram: s.hops.histogram,
            frames: s.frames.sent,
            lost: s.frames.lost,
            retries: s.frames.retries,
            wakeUps: s.wakeUps,
            digest: createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 12),
          });
          const c = s.nodeClocks;
          if (!s.allJoined) row.error = `${s.joined}/${meters} joined after ${s.stoppedAtS} simulated s`;
          else if (c.waitExpired || c.holdOverflow || c.asleepRequests || c.modes.sim !== meters + 1) {
            row.error = `not reproducible: nodeClocks ${JSON.stringify(c)}`;
          }
        } catch (e) {
          row.error = String(e.message ?? e).trimEnd();
        }
        row.wallS = (Date.now() - wall) / 1000;
        rows.push(row);
      }
      return rows;
    },
  };
}

export default plcsimSection({ name: 'plcsim', sizes: [10, 64], order: 30 });
