-- Head-end database: ONE schema for SQLite and PostgreSQL (docs/headend.md).
-- Times are unix seconds; values are a JSON array of numbers (units in docs/headend.md).
-- Records are keyed by meter EUI-64 + OBIS + capture time: a resent record is stored once.
CREATE TABLE IF NOT EXISTS meters (
  meter TEXT PRIMARY KEY,
  first_seen_s DOUBLE PRECISION NOT NULL,
  last_seen_s DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS intervals (
  meter TEXT NOT NULL,
  obis TEXT NOT NULL,
  capture_s BIGINT NOT NULL,
  vals TEXT NOT NULL,
  upload_id BIGINT NOT NULL,
  stored_s DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (meter, obis, capture_s)
);
CREATE TABLE IF NOT EXISTS registers (
  meter TEXT NOT NULL,
  obis TEXT NOT NULL,
  capture_s BIGINT NOT NULL,
  vals TEXT NOT NULL,
  upload_id BIGINT NOT NULL,
  stored_s DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (meter, obis, capture_s)
);
-- Events are keyed with their values too: a meter logs several events in one second (a power
-- failure and the dip before it).
CREATE TABLE IF NOT EXISTS events (
  meter TEXT NOT NULL,
  obis TEXT NOT NULL,
  capture_s BIGINT NOT NULL,
  vals TEXT NOT NULL,
  upload_id BIGINT NOT NULL,
  stored_s DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (meter, obis, capture_s, vals)
);
CREATE TABLE IF NOT EXISTS alarms (
  meter TEXT NOT NULL,
  code INTEGER NOT NULL,
  event_s BIGINT NOT NULL,
  received_s BIGINT NOT NULL,
  stored_s DOUBLE PRECISION NOT NULL,
  latency_s DOUBLE PRECISION NOT NULL,
  count INTEGER NOT NULL,
  upload_id BIGINT NOT NULL,
  PRIMARY KEY (meter, code, event_s)
);
CREATE TABLE IF NOT EXISTS uploads (
  id BIGINT PRIMARY KEY,
  kind TEXT NOT NULL,
  first_s DOUBLE PRECISION NOT NULL,
  last_s DOUBLE PRECISION NOT NULL,
  arrivals INTEGER NOT NULL,
  raw_bytes INTEGER NOT NULL,
  wire_bytes INTEGER NOT NULL,
  records INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
-- The energy balance of the low-voltage area, one row per aligned interval (docs/concentrator.md,
-- "Energy balance"): the transformer's energy (the concentrator's own LEGAL measurement) against
-- the sum of the meters'. A row sent again with more meters in replaces the stored one.
CREATE TABLE IF NOT EXISTS balance (
  area TEXT NOT NULL,
  capture_s BIGINT NOT NULL,
  expected INTEGER NOT NULL,
  meters_in INTEGER NOT NULL,
  transformer_wh DOUBLE PRECISION NOT NULL,
  meters_wh DOUBLE PRECISION NOT NULL,
  l1_transformer_wh DOUBLE PRECISION NOT NULL,
  l1_meters_wh DOUBLE PRECISION NOT NULL,
  l2_transformer_wh DOUBLE PRECISION NOT NULL,
  l2_meters_wh DOUBLE PRECISION NOT NULL,
  l3_transformer_wh DOUBLE PRECISION NOT NULL,
  l3_meters_wh DOUBLE PRECISION NOT NULL,
  three_phase_wh DOUBLE PRECISION NOT NULL,
  unphased_wh DOUBLE PRECISION NOT NULL,
  upload_id BIGINT NOT NULL,
  stored_s DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (area, capture_s)
);
