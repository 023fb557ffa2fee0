/**
 * Local provider: each node is `node --import tsx server/main.ts`, a detached child process with its
 * own PORT, REGION, PUBLIC_ADDRESS, DATA_DIR and NODE_NAME, logging to a file. The node list is kept in
 * `stateDir/nodes.json`, so a restarted manager adopts the nodes that still run (checked by pid)
 * instead of starting duplicates. Exit codes are known for children of this manager; an adopted
 * node's exit is seen by its pid disappearing (code unknown).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, readFileSync, renameSync, writeFileSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ProviderStatus, nodeEnv, nodeName, type NodeEnvBase, type NodeProvider, type ProviderNode, type StartSpec, type StopOptions } from "../provider.ts";
import { inheritedEnvironment } from "../../config.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface LocalProviderOptions {
  readonly stateDir: string;
  readonly publicHost: string;
  readonly env: NodeEnvBase;
  /** Entry point; default server/main.ts of this repo. */
  readonly entry?: string;
  readonly now?: () => number;
  /** Extra env per region (tests). */
  readonly regionEnv?: (region: string) => Record<string, string>;
}

interface Record_ {
  id: string;
  name: string;
  region: string;
  publicAddress: string;
  port: number;
  pid: number;
  startedAt: number;
  status: ProviderStatus;
  exitCode: number | null;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class LocalProvider implements NodeProvider {
  readonly kind = "local";
  private readonly nodes = new Map<string, Record_>();
  private readonly children = new Map<string, ChildProcess>();
  private readonly file: string;
  private readonly now: () => number;

  constructor(private readonly options: LocalProviderOptions) {
    this.now = options.now ?? Date.now;
    mkdirSync(options.stateDir, { recursive: true });
    this.file = join(options.stateDir, "nodes.json");
    try {
      for (const r of JSON.parse(readFileSync(this.file, "utf8")) as Record_[]) this.nodes.set(r.id, r);
    } catch {
      // no state yet
    }
  }

  async start(spec: StartSpec): Promise<ProviderNode> {
    const name = nodeName(spec.region);
    const port = await freePort();
    const dataDir = resolve(this.options.stateDir, name);
    mkdirSync(dataDir, { recursive: true });
    const log = openSync(join(dataDir, "node.log"), "a");
    const publicAddress = `${this.options.publicHost}:${port}`;
    const env = nodeEnv({ ...inheritedEnvironment(), ...this.options.env, ...this.options.regionEnv?.(spec.region) }, { port, region: spec.region, publicAddress, name, dataDir });
    // Nodes serve the browser demo like `npm start` does (SERVE_DEMO=false in the manager's environment turns it off).
    const child = spawn(process.execPath, ["--import", "tsx", this.options.entry ?? join(repoRoot, "server/main.ts")], {
      cwd: repoRoot, env, detached: true, stdio: ["ignore", log, log],
    });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`could not spawn a node for ${spec.region}`);
    const record: Record_ = { id: `local-${child.pid}-${name}`, name, region: spec.region, publicAddress, port, pid: child.pid, startedAt: this.now(), status: ProviderStatus.RUNNING, exitCode: null };
    this.nodes.set(record.id, record);
    this.children.set(record.id, child);
    child.once("exit", (code) => {
      record.status = ProviderStatus.EXITED;
      record.exitCode = code;
      this.children.delete(record.id);
      this.save();
    });
    this.save();
    return { ...record };
  }

  async stop(id: string, options: StopOptions = {}): Promise<void> {
    const r = this.nodes.get(id);
    if (!r || r.status === ProviderStatus.EXITED) return;
    try {
      process.kill(r.pid, options.signal ?? "SIGTERM");
    } catch {
      // already gone; list() will say so
    }
  }

  async list(): Promise<ProviderNode[]> {
    let changed = false;
    for (const r of this.nodes.values()) {
      if (r.status === ProviderStatus.RUNNING && !this.children.has(r.id) && !pidAlive(r.pid)) {
        r.status = ProviderStatus.EXITED; // adopted node gone; its exit code is not ours to know
        changed = true;
      }
    }
    if (changed) this.save();
    return [...this.nodes.values()].map((r) => ({ ...r }));
  }

  async forget(id: string): Promise<void> {
    this.nodes.delete(id);
    this.save();
  }

  /** Port of a node (tests and the bench talk to nodes directly). */
  port(id: string): number | undefined {
    return this.nodes.get(id)?.port;
  }

  pid(id: string): number | undefined {
    return this.nodes.get(id)?.pid;
  }

  async close(): Promise<void> {
    for (const child of this.children.values()) child.unref();
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.nodes.values()], null, 1));
    renameSync(tmp, this.file);
  }
}
