/**
 * Every Store implementation a conformance suite loops over: the embedded SQLite store (memory and
 * file) and PostgreSQL (a private server) always; MongoDB (mongoose) whenever MONGO_URL is set (a
 * replica set, for transactions). `name` prefixes temp dirs and Mongo database names.
 */
import { createFileStore, createMemoryStore, createMongoStore, createPostgresStore, postgresSettings, type Store } from "../../server/store/index.ts";
import { startPostgres, type PostgresHandle } from "./postgres.ts";
import { tempDir } from "./processes.ts";
import { loadConfig } from "../../server/config.ts";

/** The PostgreSQL store's settings at their config defaults (server/config.ts). */
const PG = postgresSettings(loadConfig({}));

export interface StoreDriver {
  readonly name: string;
  open(): Promise<Store>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export function storeDrivers(name: string): StoreDriver[] {
  let postgres: PostgresHandle | undefined;
  const drivers: StoreDriver[] = [
    { name: "embedded (SQLite in memory)", open: () => createMemoryStore() },
    { name: "embedded (SQLite file)", open: () => createFileStore(tempDir(`rally-${name}-store-`)) },
    {
      name: "PostgreSQL (private server)",
      start: async () => { postgres = await startPostgres(); },
      stop: async () => postgres?.stop(),
      open: async () => createPostgresStore({ ...PG, url: await postgres!.createDatabase(), partitions: 4 }),
    },
  ];
  const mongoUrl = process.env.MONGO_URL;
  if (mongoUrl) {
    let n = 0;
    drivers.push({ name: "mongoose (MONGO_URL)", open: () => createMongoStore({ url: mongoUrl, dbName: `rally_${name}_${process.pid}_${Date.now()}_${n++}` }) });
  }
  return drivers;
}
