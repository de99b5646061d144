// LOADng as profiled by G3-PLC (ITU-T G.9903 annex D / clause 9.4.x "mesh routing"), carried in
// the ADP ESC command frame with command id LOADNG (adp-const.ts).

/** Message types (first octet of the command body). */
export enum LoadngType {
  RREQ = 0x00,
  RREP = 0x01,
  RERR = 0x02,
  PREQ = 0xfc,
  PREP = 0xfd,
  RLCREQ = 0xfe,
  RLCREP = 0xff,
}

/** RREQ/RREP flags, high nibble of the metric-type octet: R = route repair, U = unicast RREQ. */
export const LOADNG_FLAG_R = 0x8;
export const LOADNG_FLAG_U = 0x4;
/** Metric type used by G3: composite link cost (0x0F). */
export const LOADNG_METRIC_COMPOSITE = 0x0f;
/** RERR error code 0: no available route (the only one G3 defines). */
export const LOADNG_RERR_NO_ROUTE = 0x00;

export const RREQ_LENGTH = 12; // type 1 + dst 2 + orig 2 + seq 2 + flags/metric 1 + cost 2 + hops 1 + weak 1
export const RERR_LENGTH = 9; // type 1 + dst 2 + orig 2 + code 1 + unreachable 2 + hop limit 1
export const RLCREQ_LENGTH = 6;
export const RLCREP_LENGTH = 7;

export const ROUTE_COST_MAX = 0xffff;
/** Hop count / hop limit / weak link count are 4-bit fields. */
export const LOADNG_MAX_HOPS = 15;

/** ADP IB defaults for the link cost and routing (G.9903 table "adaptation IB attributes"). */
export const LOADNG_DEFAULTS = {
  adpKr: 0,
  adpKm: 0,
  adpKc: 0,
  adpKq: 10,
  adpKh: 4,
  adpKrt: 0,
  adpHighLQIValue: 114,
  adpLowLQIValue: 52,
  adpWeakLQIValue: 52,
  adpAddRevLinkCost: 0,
  adpMaxHops: 8,
  adpRouteValidTimeMs: 360 * 60_000,
  adpNetTraversalTimeMs: 20_000,
  adpRREQRetries: 0,
  adpRREQWaitMs: 30_000,
  adpUnicastRREQGenEnable: false,
} as const;

/** MOD_KM per modulation (port numbering: 0 ROBO, 1 DBPSK, 2 DQPSK, 3 D8PSK, 4 16-QAM). */
export const MOD_KM = [3, 3, 2, 1, 0] as const;
/** Carriers in CENELEC-A (36), for the active tones term. */
export const MAX_TONES = 36;
