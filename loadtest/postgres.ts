/**
 * A private PostgreSQL for tests and benches: `initdb` + `pg_ctl` from Debian's server binaries
 * (the newest /usr/lib/postgresql/<version>/bin), a throwaway data directory in the temp dir, a free
 * loopback port, the unix socket inside the data directory, trust auth on loopback only, durability
 * off (fsync=off: a crashed test cluster is thrown away anyway). Never the machine's shared 5432.
 *
 * PostgreSQL refuses to run as root, so when this process is root (CI) every server command runs as
 * the `postgres` system user (`runuser -u postgres --`) and the directories are chowned to it.
 *
 * Options: a streaming replica (`pg_basebackup -R` from the primary into a second private instance,
 * through a `replicator` role with the REPLICATION attribute), and stopServer()/startServer() on each
 * instance so a test can take the database away and bring it back on the same port.
 */
import { execFile, spawnSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../server/pool/providers/local.ts";
import { until } from "./wait.ts";

const run = promisify(execFile);
const SUPERUSER = "rally";
const REPLICATOR = "replicator";

export interface PostgresInstance {
  /** postgres://rally@127.0.0.1:<port>/postgres (trust auth, loopback). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server but keeps its data ("fast": clients are disconnected; "immediate": like a crash). */
  stopServer(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same port with the same data (no-op while it runs). */
  startServer(): Promise<void>;
  restart(): Promise<void>;
  /** A URL for another database on this server. */
  urlFor(database: string): string;
}

export interface PostgresHandle extends PostgresInstance {
  /** A fresh empty database on the primary; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Present when started with `{ replica: true }`: a hot standby streaming from the primary. */
  readonly replica?: PostgresInstance;
  /** Waits until the replica has replayed everything the primary had written when this was called. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  /** Stops every instance and removes their data directories. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Also start a streaming replica of the primary. */
  replica?: boolean;
  /** Extra postgresql.conf settings for the primary (and the replica, which copies them). */
  settings?: Readonly<Record<string, string | number>>;
}

/** The newest installed server version's bin directory; throws naming the package when absent. */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, "bin", "initdb")) && existsSync(join(root, v, "bin", "pg_ctl")))
    : [];
  if (versions.length === 0) {
    throw new Error("PostgreSQL server binaries not found (initdb and pg_ctl under /usr/lib/postgresql/<version>/bin): apt-get install postgresql (.ci/run does this)");
  }
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return join(root, newest, "bin");
}

interface RunAs {
  uid: number;
  gid: number;
  /** Prefix that runs a command as the server's user. */
  wrap(cmd: string, args: string[]): [string, string[]];
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) {
    return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1, wrap: (cmd, args) => [cmd, args] };
  }
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("running as root, PostgreSQL needs the `postgres` system user to run as, and it does not exist: apt-get install postgresql (.ci/run does this)");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), wrap: (cmd, args) => ["runuser", ["-u", "postgres", "--", cmd, ...args]] };
}

/** A directory in the temp dir that the server's user owns. */
function ownedTempDir(as: RunAs, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) chownSync(dir, as.uid, as.gid);
  return dir;
}

async function exec(as: RunAs, bin: string, cmd: string, args: string[], cwd: string): Promise<string> {
  const [file, argv] = as.wrap(join(bin, cmd), args);
  try {
    const { stdout } = await run(file, argv, { cwd, encoding: "utf8", timeout: 120_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.stderr || err.stdout || err.message}`);
  }
}

function makeInstance(as: RunAs, bin: string, dataDir: string, port: number): PostgresInstance & { running: boolean } {
  const urlFor = (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  const instance = {
    url: urlFor("postgres"),
    port,
    dataDir,
    running: false,
    urlFor,
    async startServer() {
      if (instance.running) return;
      await exec(as, bin, "pg_ctl", ["-D", dataDir, "-l", join(dataDir, "server.log"), "-w", "-t", "60", "start"], dataDir);
      instance.running = true;
    },
    async stopServer(mode: "fast" | "immediate" = "fast") {
      if (!instance.running) return;
      await exec(as, bin, "pg_ctl", ["-D", dataDir, "-m", mode, "-w", "-t", "60", "stop"], dataDir);
      instance.running = false;
    },
    async restart() {
      await instance.stopServer();
      await instance.startServer();
    },
  };
  return instance;
}

function conf(settings: Record<string, string | number>): string {
  return Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === "number" ? v : `'${v.replace(/'/g, "''")}'`}\n`).join("");
}

/** Starts a private PostgreSQL (and optionally a streaming replica). Call `stop()` in an after hook. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  const bin = postgresBinDir();
  const as = runAs();
  const { default: pg } = await import("pg");

  const primaryRoot = ownedTempDir(as, "rally-pg-");
  const primaryDir = join(primaryRoot, "data");
  const roots = [primaryRoot];
  const started: Array<PostgresInstance & { running: boolean }> = [];
  // A test process that dies without its after hooks must not leave servers behind.
  const onExit = () => {
    for (const i of started) {
      if (!i.running) continue;
      const [file, argv] = as.wrap(join(bin, "pg_ctl"), ["-D", i.dataDir, "-m", "immediate", "stop"]);
      spawnSync(file, argv, { cwd: tmpdir(), stdio: "ignore" });
    }
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  try {
    await exec(as, bin, "initdb", ["-D", primaryDir, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], primaryRoot);
    const port = await freePort();
    appendFileSync(primaryDir + "/postgresql.conf", conf({
      port,
      listen_addresses: "127.0.0.1",
      unix_socket_directories: primaryDir,
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      shared_buffers: "32MB",
      max_connections: 200,
      wal_level: "replica",
      max_wal_senders: 5,
      hot_standby: "on",
      // The replica answers reads while it replays; a long test query never blocks replay for long.
      max_standby_streaming_delay: "1s",
      ...options.settings,
    }));
    // initdb's trust default already admits loopback replication; the explicit role and line say what a replica needs.
    appendFileSync(primaryDir + "/pg_hba.conf", `host replication ${REPLICATOR} 127.0.0.1/32 trust\n`);
    const primary = makeInstance(as, bin, primaryDir, port);
    started.push(primary);
    await primary.startServer();

    const admin = async <T>(fn: (c: InstanceType<typeof pg.Client>) => Promise<T>, url = primary.url): Promise<T> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };

    let replica: (PostgresInstance & { running: boolean }) | undefined;
    if (options.replica) {
      await admin((c) => c.query(`CREATE ROLE ${REPLICATOR} WITH REPLICATION LOGIN`));
      const replicaRoot = ownedTempDir(as, "rally-pg-replica-");
      roots.push(replicaRoot);
      const replicaDir = join(replicaRoot, "data");
      await exec(as, bin, "pg_basebackup", ["-h", "127.0.0.1", "-p", String(port), "-U", REPLICATOR, "-D", replicaDir, "-R", "-X", "stream", "--no-sync"], replicaRoot);
      const replicaPort = await freePort();
      // Later lines win: the copied postgresql.conf gets the replica's own port and socket dir.
      appendFileSync(replicaDir + "/postgresql.conf", conf({ port: replicaPort, unix_socket_directories: replicaDir }));
      replica = makeInstance(as, bin, replicaDir, replicaPort);
      started.push(replica);
      await replica.startServer();
      await until("the replica to stream from the primary", () =>
        admin(async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'")).rows[0].n === 1), 30_000, 100);
    }

    let databases = 0;
    const handle: PostgresHandle = {
      url: primary.url,
      port,
      dataDir: primaryDir,
      urlFor: primary.urlFor,
      stopServer: primary.stopServer,
      startServer: primary.startServer,
      restart: primary.restart,
      replica,
      async createDatabase(name = `rally_test_${process.pid}_${++databases}`) {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
        await admin((c) => c.query(`CREATE DATABASE ${name}`));
        return primary.urlFor(name);
      },
      async waitForReplay(timeoutMs = 15_000) {
        if (!replica) throw new Error("started without a replica");
        const lsn = await admin(async (c) => (await c.query("SELECT pg_current_wal_insert_lsn()::text AS lsn")).rows[0].lsn as string);
        await until(`the replica to replay up to ${lsn}`, () =>
          admin(async (c) => (await c.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done", [lsn])).rows[0].done === true, replica!.url), timeoutMs, 50);
      },
      async stop() {
        for (const i of [...started].reverse()) await i.stopServer("immediate").catch(() => undefined);
        for (const r of roots) rmSync(r, { recursive: true, force: true });
        process.removeListener("exit", onExit);
      },
    };
    return handle;
  } catch (e) {
    onExit();
    process.removeListener("exit", onExit);
    throw e;
  }
}
