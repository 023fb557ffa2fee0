export * from "./store.ts";
export { createMemoryStore, createFileStore, createSqliteStore } from "./sqlite.ts";
export { createMongoStore, openStore } from "./open.ts";
export type { MongoStoreOptions } from "./mongo.ts";
