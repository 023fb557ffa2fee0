/**
 * One contract for every NodeProvider: start labels a node with its region and a unique name and
 * address, list reports it running, SIGTERM and SIGKILL stop it (exit seen by list), forget drops it,
 * and a new provider instance over the same engine still lists running nodes (manager restart).
 * Local: real processes. Docker and Agones: their provider logic over a faked engine boundary.
 */
import assert from "node:assert/strict";
import { AgonesProvider, type AgonesEngine, type GameServerInfo } from "../../../server/pool/providers/agones.ts";
import { DockerProvider, LABEL as DLABEL, NODE_ALIAS, exitCodeFromStatus, type ContainerInfo, type ContainerSpec, type DockerEngine } from "../../../server/pool/providers/docker.ts";
import { LocalProvider } from "../../../server/pool/providers/local.ts";
import { ProviderStatus, type NodeProvider } from "../../../server/pool/provider.ts";
import { tempDir } from "../../support/processes.ts";
import { SECRET, waitUntil } from "../../support/pool-harness.ts";

class FakeDocker implements DockerEngine {
  readonly containers = new Map<string, { spec: ContainerSpec; running: boolean; exitCode: number | null }>();
  private seq = 0;
  async run(spec: ContainerSpec): Promise<string> {
    if ([...this.containers.values()].some((c) => c.spec.name === spec.name)) throw new Error("Conflict: name in use");
    const id = `c${++this.seq}`;
    this.containers.set(id, { spec, running: true, exitCode: null });
    return id;
  }
  async signal(id: string, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw new Error("No such container");
    c.running = false;
    c.exitCode = signal === "SIGKILL" ? 137 : 0;
  }
  async list(label: string): Promise<ContainerInfo[]> {
    const [k, v] = label.split("=");
    return [...this.containers.entries()].filter(([, c]) => c.spec.labels[k] === v).map(([id, c]) => ({ id, labels: c.spec.labels, running: c.running, exitCode: c.exitCode }));
  }
  async remove(id: string): Promise<void> {
    this.containers.delete(id);
  }
}

class FakeAgones implements AgonesEngine {
  readonly servers = new Map<string, { manifest: Record<string, unknown>; state: string }>();
  readonly deletes: Array<{ name: string; grace: number | undefined }> = [];
  async create(manifest: Record<string, unknown>): Promise<void> {
    const name = (manifest.metadata as { name: string }).name;
    if (this.servers.has(name)) throw new Error("AlreadyExists");
    this.servers.set(name, { manifest, state: "Ready" });
  }
  async delete(name: string, grace?: number): Promise<void> {
    this.deletes.push({ name, grace });
    const s = this.servers.get(name);
    if (!s) throw new Error("NotFound");
    if (s.state === "Shutdown" && grace === 0) this.servers.delete(name);
    else s.state = "Shutdown";
  }
  async list(selector: string): Promise<GameServerInfo[]> {
    const [k, v] = selector.split("=");
    return [...this.servers.entries()].map(([name, s]) => {
      const md = s.manifest.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
      return { name, labels: md.labels, annotations: md.annotations, state: s.state, createdAt: 1 };
    }).filter((g) => g.labels[k] === v);
  }
}

interface Subject {
  name: string;
  make(): NodeProvider;
  /** Reopen over the same engine/state, as a restarted manager would. */
  reopen(): NodeProvider;
  /** Checks the started node really is what the env says (real process: its /readyz). */
  verify?(address: string, region: string): Promise<void>;
  timeoutMs: number;
}

const stateDir = tempDir("rally-provider-");
const docker = new FakeDocker();
const agones = new FakeAgones();
const subjects: Subject[] = [
  {
    name: "local (real child processes)",
    make: () => new LocalProvider({ stateDir, publicHost: "127.0.0.1", env: { REDIS_URL: "", JWT_SECRET: SECRET, ROOM_CAPACITY: "7", LOG_LEVEL: "warn" } }),
    reopen: () => new LocalProvider({ stateDir, publicHost: "127.0.0.1", env: { REDIS_URL: "", JWT_SECRET: SECRET, ROOM_CAPACITY: "7" } }),
    async verify(address, region) {
      const body = await waitUntil(async () => {
        const res = await fetch(`http://${address}/readyz`);
        return res.status === 200 ? (await res.json()) as { region: string } : null;
      }, 60_000, `node at ${address}`);
      assert.equal(body.region, region);
      // Pool nodes serve the browser demo too (like `npm start`), so any node's address opens it.
      const demo = await fetch(`http://${address}/`);
      assert.equal(demo.status, 200, "a pool node serves the demo at /");
      assert.match(await demo.text(), /<canvas id="arena"/);
    },
    timeoutMs: 90_000,
  },
  { name: "docker (dockerode boundary faked)", make: () => new DockerProvider(docker, { image: "rally-node:test", network: "rally", publicHost: "lb.example:8080", env: { REDIS_URL: "redis://redis:6379", JWT_SECRET: SECRET, ROOM_CAPACITY: "7" }, drainTimeoutS: 900 }), reopen: () => new DockerProvider(docker, { image: "rally-node:test", network: "rally", publicHost: "lb.example:8080", env: { REDIS_URL: "redis://redis:6379", JWT_SECRET: SECRET, ROOM_CAPACITY: "7" }, drainTimeoutS: 900 }), timeoutMs: 5000 },
  { name: "agones (Kubernetes boundary faked)", make: () => new AgonesProvider(agones, { image: "rally-node:test", publicHost: "play.example", env: { REDIS_URL: "redis://redis:6379", JWT_SECRET: SECRET, ROOM_CAPACITY: "7" }, drainTimeoutS: 900 }), reopen: () => new AgonesProvider(agones, { image: "rally-node:test", publicHost: "play.example", env: { REDIS_URL: "redis://redis:6379", JWT_SECRET: SECRET, ROOM_CAPACITY: "7" }, drainTimeoutS: 900 }), timeoutMs: 5000 },
];

for (const s of subjects) {
  describe(`NodeProvider contract: ${s.name}`, function () {
    this.timeout(s.timeoutMs * 2);
    let provider: NodeProvider;
    before(() => { provider = s.make(); });
    after(async () => {
      for (const n of await provider.list()) await provider.stop(n.id, { signal: "SIGKILL" }).catch(() => undefined);
      await provider.close();
    });

    it("starts nodes labelled by region, with unique names and addresses", async () => {
      const a = await provider.start({ region: "eu-west" });
      const b = await provider.start({ region: "us-east" });
      assert.equal(a.region, "eu-west");
      assert.equal(b.region, "us-east");
      assert.match(a.name, /^eu-west-[a-z0-9]{6}$/);
      assert.notEqual(a.publicAddress, b.publicAddress);
      const listed = await provider.list();
      for (const n of [a, b]) {
        const l = listed.find((x) => x.id === n.id);
        assert.equal(l?.status, ProviderStatus.RUNNING);
        assert.equal(l?.region, n.region);
        assert.equal(l?.name, n.name);
        assert.equal(l?.publicAddress, n.publicAddress);
      }
      if (s.verify) await Promise.all([s.verify(a.publicAddress, "eu-west"), s.verify(b.publicAddress, "us-east")]);
    });

    it("a new provider instance lists the nodes that still run (manager restart)", async () => {
      const again = s.reopen();
      const names = (await again.list()).filter((n) => n.status === ProviderStatus.RUNNING).map((n) => n.name).sort();
      const mine = (await provider.list()).filter((n) => n.status === ProviderStatus.RUNNING).map((n) => n.name).sort();
      assert.deepEqual(names, mine);
      assert.equal(names.length, 2);
    });

    it("SIGTERM stops a node gracefully; list reports the exit; forget drops it", async () => {
      const [n] = (await provider.list()).filter((x) => x.region === "eu-west" && x.status === ProviderStatus.RUNNING);
      await provider.stop(n.id);
      const exited = await waitUntil(async () => (await provider.list()).find((x) => x.id === n.id && x.status === ProviderStatus.EXITED), s.timeoutMs, "exit");
      if (s.name.startsWith("local") || s.name.startsWith("docker")) assert.equal(exited.exitCode, 0);
      await provider.forget(n.id);
      assert.equal((await provider.list()).some((x) => x.id === n.id), false);
    });

    it("SIGKILL stops a node at once", async () => {
      const [n] = (await provider.list()).filter((x) => x.region === "us-east" && x.status === ProviderStatus.RUNNING);
      await provider.stop(n.id, { signal: "SIGKILL" });
      await waitUntil(async () => (await provider.list()).find((x) => x.id === n.id && x.status === ProviderStatus.EXITED), s.timeoutMs, "exit");
      await provider.forget(n.id);
    });
  });
}

describe("engine-specific details", () => {
  it("docker: env, labels, network alias and path-based PUBLIC_ADDRESS", async () => {
    const engine = new FakeDocker();
    const p = new DockerProvider(engine, { image: "rally-node:1", network: "rally", publicHost: "lb:8080", env: { REDIS_URL: "redis://redis:6379", JWT_SECRET: SECRET, ROOM_CAPACITY: "9" }, drainTimeoutS: 120 });
    const n = await p.start({ region: "eu-west" });
    const { spec } = [...engine.containers.values()][0];
    assert.equal(spec.image, "rally-node:1");
    assert.equal(spec.network, "rally");
    assert.deepEqual(spec.aliases, [NODE_ALIAS, n.name]);
    assert.equal(spec.labels[DLABEL.REGION], "eu-west");
    assert.equal(spec.stopTimeoutS, 150);
    assert.equal(n.publicAddress, `lb:8080/n/${n.name}`);
    for (const kv of ["PORT=2567", "REGION=eu-west", `PUBLIC_ADDRESS=lb:8080/n/${n.name}`, `NODE_NAME=${n.name}`, "REDIS_URL=redis://redis:6379", "ROOM_CAPACITY=9"]) assert.ok(spec.env.includes(kv), kv);
    assert.equal(exitCodeFromStatus("Exited (137) 3 seconds ago"), 137);
    assert.equal(exitCodeFromStatus("Up 5 minutes"), null);
  });

  it("agones: a GameServer manifest with region labels, drain-long grace, and delete semantics", async () => {
    const engine = new FakeAgones();
    const p = new AgonesProvider(engine, { image: "rally-node:1", publicHost: "play.example", env: { REDIS_URL: "redis://redis:6379", JWT_SECRET: SECRET, ROOM_CAPACITY: "9" }, drainTimeoutS: 300 });
    const n = await p.start({ region: "us-east" });
    const m = engine.servers.get(n.name)!.manifest as { apiVersion: string; kind: string; metadata: { labels: Record<string, string> }; spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Array<{ env: Array<{ name: string; value: string }> }> } } } };
    assert.equal(m.apiVersion, "agones.dev/v1");
    assert.equal(m.kind, "GameServer");
    assert.equal(m.metadata.labels["rally.dev/region"], "us-east");
    assert.equal(m.spec.template.spec.terminationGracePeriodSeconds, 330);
    const env = Object.fromEntries(m.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
    assert.equal(env.REGION, "us-east");
    assert.equal(env.NODE_NAME, n.name);
    assert.equal(env.PUBLIC_ADDRESS, `play.example/n/${n.name}`);
    await p.stop(n.name);
    await p.stop(n.name, { signal: "SIGKILL" });
    assert.deepEqual(engine.deletes.map((d) => d.grace), [undefined, 0], "SIGTERM = delete with the pod's grace period; SIGKILL = grace 0");
  });
});
