export * from "./store.ts";
export { createMemoryStore, createFileStore, createSqliteStore } from "./sqlite.ts";
export { createMongoStore } from "./mongo.ts";
export { openStore } from "./open.ts";
