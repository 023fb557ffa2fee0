/**
 * The private PostgreSQL every PostgreSQL test relies on (test/support/postgres.ts): its own port and
 * data directory, never the machine's server, and a stop/start that keeps the data (the store tests
 * take the database away while work is in flight).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import pg from "pg";
import { startPostgres, type PostgresHandle } from "../support/postgres.ts";

describe("test helper: private PostgreSQL", function () {
  this.timeout(60_000);
  let db: PostgresHandle;
  before(async () => { db = await startPostgres(); });
  after(async () => db?.stop());

  async function query(url: string, sql: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }

  it("runs on its own free port with durability off, keeps data across a stop and a start", async () => {
    assert.notEqual(db.port, 5432);
    assert.equal((await query(db.url, "SHOW fsync")).rows[0].fsync, "off");
    const url = await db.createDatabase();
    await query(url, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
    await db.stopServer();
    await assert.rejects(query(url, "SELECT 1"), "refused while stopped");
    await db.startServer();
    assert.deepEqual((await query(url, "SELECT x FROM kept")).rows, [{ x: 7 }]);
  });

  it("stop() removes the data directory", async () => {
    const other = await startPostgres();
    await other.stop();
    assert.equal(existsSync(other.dataDir), false);
  });
});
