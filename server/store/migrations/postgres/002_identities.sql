-- Rally's PostgreSQL schema, version 2: platform identities (server/auth/platform, Store.identities).
--
-- Two tables, always written together in one transaction (the same shape as players and
-- player_devices):
-- - identity_subjects: the unique lookup a sign-in needs, by (provider, subject). A plain table keyed
--   by the identity; its primary key makes "one provider identity maps to one player" a constraint.
--   Citus: create_distributed_table('identity_subjects', 'subject').
-- - player_identities: a player's identities, hash-partitioned by player_id like every player-keyed
--   table (a player's list reads one partition). Its primary key (player_id, provider) allows one
--   identity per provider per player. Citus: colocated with players.
-- Partitions: the count recorded when version 1 created the schema (rally_settings), not the
-- DATABASE_PARTITIONS of the node that happens to run this migration.

CREATE TABLE identity_subjects (
  provider text COLLATE "C" NOT NULL,
  subject text COLLATE "C" NOT NULL,
  player_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (provider, subject)
);

CREATE TABLE player_identities (
  player_id text COLLATE "C" NOT NULL,
  provider text COLLATE "C" NOT NULL,
  subject text COLLATE "C" NOT NULL,
  linked_at bigint NOT NULL,
  PRIMARY KEY (player_id, provider)
) PARTITION BY HASH (player_id);

DO $$
DECLARE
  n integer := (SELECT value::integer FROM rally_settings WHERE key = 'partitions');
BEGIN
  FOR i IN 0 .. n - 1 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF player_identities FOR VALUES WITH (MODULUS %s, REMAINDER %s)', 'player_identities_p' || i, n, i);
  END LOOP;
END
$$;
