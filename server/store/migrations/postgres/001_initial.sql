-- Rally's PostgreSQL schema, version 1. Applied by server/store/postgres.ts inside one transaction
-- (under a transaction-scoped advisory lock), with `rally.partitions` set to DATABASE_PARTITIONS.
--
-- Player-keyed tables are hash-partitioned by player_id and their primary keys start with
-- player_id, so a lookup by player touches one partition and Citus'
-- create_distributed_table('<table>', 'player_id') applies to them unchanged. Tables keyed by
-- something else (a device id, a username, a refresh-token family, a match, a board) are plain
-- tables keyed by that. Identifiers use the "C" collation: byte order, the same on every server
-- whatever its locale, and the order the embedded store and the Redis leaderboards use.

CREATE TABLE rally_settings (
  key text COLLATE "C" PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO rally_settings (key, value) VALUES ('partitions', current_setting('rally.partitions'));

CREATE TABLE players (
  player_id text COLLATE "C" NOT NULL,
  name text NOT NULL,
  created_at bigint NOT NULL,
  device_id text COLLATE "C",
  username text,
  password_hash text,
  ban_reason text,
  banned_at bigint,
  PRIMARY KEY (player_id)
) PARTITION BY HASH (player_id);

-- Unique lookups that are not by player id: one row per device id / lower-cased username.
CREATE TABLE player_devices (
  device_id text COLLATE "C" PRIMARY KEY,
  player_id text COLLATE "C" NOT NULL
);
CREATE TABLE player_usernames (
  username_lower text COLLATE "C" PRIMARY KEY,
  player_id text COLLATE "C" NOT NULL
);

CREATE TABLE sessions (
  family_id text COLLATE "C" PRIMARY KEY,
  player_id text COLLATE "C" NOT NULL,
  jti text NOT NULL,
  expires_at bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX sessions_player ON sessions (player_id);

CREATE TABLE ratings (
  player_id text COLLATE "C" NOT NULL,
  mode text COLLATE "C" NOT NULL,
  mu double precision NOT NULL,
  sigma double precision NOT NULL,
  mmr double precision NOT NULL,
  wins bigint NOT NULL,
  losses bigint NOT NULL,
  draws bigint NOT NULL,
  matches bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (player_id, mode)
) PARTITION BY HASH (player_id);

CREATE TABLE matches (
  match_id text COLLATE "C" PRIMARY KEY,
  ended_at bigint NOT NULL,
  body jsonb NOT NULL
);

CREATE TABLE history (
  player_id text COLLATE "C" NOT NULL,
  match_id text COLLATE "C" NOT NULL,
  mode text COLLATE "C" NOT NULL,
  ended_at bigint NOT NULL,
  team integer NOT NULL,
  score double precision NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('win', 'loss', 'draw', 'none')),
  mmr_before double precision,
  mmr_after double precision,
  PRIMARY KEY (player_id, match_id)
) PARTITION BY HASH (player_id);
CREATE INDEX history_page ON history (player_id, ended_at DESC, match_id DESC);

CREATE TABLE leaderboard (
  board text COLLATE "C" NOT NULL,
  player_id text COLLATE "C" NOT NULL,
  score double precision NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (board, player_id)
);
CREATE INDEX leaderboard_rank ON leaderboard (board, score DESC, player_id DESC);

CREATE TABLE inventory (
  player_id text COLLATE "C" NOT NULL,
  item text COLLATE "C" NOT NULL,
  qty bigint NOT NULL CHECK (qty >= 0),
  PRIMARY KEY (player_id, item)
) PARTITION BY HASH (player_id);

CREATE TABLE idempotency (
  player_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  digest text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (player_id, key)
) PARTITION BY HASH (player_id);

-- Both sides of a relation are stored under their own player (a request is an 'outgoing' row for
-- the sender and an 'incoming' row for the receiver), so a player's list is one partition. A block
-- is stored only for the blocker: being blocked is never listed.
CREATE TABLE friend_links (
  player_id text COLLATE "C" NOT NULL,
  other_id text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('friend', 'outgoing', 'incoming', 'block')),
  since bigint NOT NULL,
  PRIMARY KEY (player_id, other_id, kind)
) PARTITION BY HASH (player_id);

CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  type text NOT NULL,
  player_id text COLLATE "C",
  data jsonb NOT NULL
);

DO $$
DECLARE
  n integer := current_setting('rally.partitions')::integer;
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['players', 'ratings', 'history', 'inventory', 'idempotency', 'friend_links'] LOOP
    FOR i IN 0 .. n - 1 LOOP
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)', t || '_p' || i, t, n, i);
    END LOOP;
  END LOOP;
END
$$;
