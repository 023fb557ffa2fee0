export * from "./store.ts";
export { createMemoryStore, createFileStore, createSqliteStore } from "./sqlite.ts";
export { createMongoStore, createPostgresStore, openStore, postgresSettings, type StoreConfig } from "./open.ts";
export type { MongoStoreOptions } from "./mongo.ts";
export type { PostgresStoreOptions } from "./postgres.ts";
