/**
 * A simulated cluster for manager tests on a virtual clock: a fake provider whose "processes" are
 * records, nodes that publish registry entries like real ones, and a recorder of every signal the
 * manager sends, with the node's room count at that moment.
 */
import { LocalPresence } from "@colyseus/core";
import { NodeState, createNodeRegistry, pickNode, type NodeRegistry } from "../../server/registry/index.ts";
import { PoolManager, type ManagerOptions } from "../../server/pool/manager.ts";
import { defaultPolicy } from "../../server/pool/policy.ts";
import { ProviderStatus, type NodeProvider, type ProviderNode, type StartSpec, type StopOptions } from "../../server/pool/provider.ts";

export interface SimNode {
  id: string;
  name: string;
  nodeId: string;
  region: string;
  rooms: number;
  capacity: number;
  state: "starting" | "ready" | "draining";
  status: "running" | "exited";
  exitCode: number | null;
  /** Steps until it reports ready. */
  bootSteps: number;
  hung: boolean;
  /** Crash right at boot (crash-loop tests). */
  crashOnBoot: boolean;
  startedAt: number;
}

export interface SignalRecord {
  node: string;
  signal: string;
  rooms: number;
  state: string;
  at: number;
}

export class SimCluster implements NodeProvider {
  readonly kind = "sim";
  readonly nodes = new Map<string, SimNode>();
  readonly signals: SignalRecord[] = [];
  readonly presence = new LocalPresence();
  readonly registry: NodeRegistry;
  t = 1_000_000;
  private seq = 0;
  crashOnBoot = false;
  bootSteps = 1;

  constructor(readonly capacity = 10) {
    this.registry = createNodeRegistry(this.presence, 6000);
  }

  async start(spec: StartSpec): Promise<ProviderNode> {
    const n: SimNode = {
      id: `sim-${++this.seq}`, name: `${spec.region}-n${this.seq}`, nodeId: `pid${this.seq}`, region: spec.region, rooms: 0, capacity: this.capacity,
      state: "starting", status: "running", exitCode: null, bootSteps: this.bootSteps, hung: false, crashOnBoot: this.crashOnBoot, startedAt: this.t,
    };
    this.nodes.set(n.id, n);
    return this.view(n);
  }

  async stop(id: string, options: StopOptions = {}): Promise<void> {
    const n = this.nodes.get(id);
    if (!n || n.status === "exited") return;
    const signal = options.signal ?? "SIGTERM";
    this.signals.push({ node: n.name, signal, rooms: n.rooms, state: n.state, at: this.t });
    if (signal === "SIGKILL" || n.rooms === 0) this.exit(n, signal === "SIGKILL" ? null : 0);
    else n.state = "draining"; // SIGTERM with rooms: the node drains itself; exits when empty
  }

  async list(): Promise<ProviderNode[]> {
    return [...this.nodes.values()].map((n) => this.view(n));
  }

  async forget(id: string): Promise<void> {
    this.nodes.delete(id);
  }

  async close(): Promise<void> {}

  /** The manager's drain command reaching a node. */
  drain = async (nodeId: string): Promise<void> => {
    for (const n of this.nodes.values()) if (n.nodeId === nodeId && n.status === "running" && n.state === "ready") n.state = "draining";
  };

  cleaned: string[] = [];
  cleanup = async (nodeId: string): Promise<void> => {
    this.cleaned.push(nodeId);
    await this.registry.remove(nodeId);
  };

  exit(n: SimNode, code: number | null): void {
    n.status = "exited";
    n.exitCode = code;
  }

  /** Nodes boot, heartbeat, and a SIGTERMed (or drained) empty node exits — what real nodes do between two manager steps. */
  async beat(): Promise<void> {
    for (const n of this.nodes.values()) {
      if (n.status !== "running" || n.hung) continue;
      if (n.state === "starting") {
        if (n.crashOnBoot) {
          this.exit(n, 1);
          continue;
        }
        if (--n.bootSteps <= 0) n.state = "ready";
        else continue;
      }
      await this.registry.publish({ nodeId: n.nodeId, name: n.name, region: n.region, publicAddress: `sim/${n.name}`, state: n.state as NodeState, capacity: n.capacity, rooms: n.rooms, ccu: n.rooms * 2, heartbeatAt: this.t });
    }
  }

  /** Places a room like the game nodes do: pickNode over the registry. */
  async allocate(region: string): Promise<SimNode | null> {
    const entry = pickNode(await this.registry.live(this.t), region, this.t, this.registry.ttlMs);
    if (!entry) return null;
    const n = [...this.nodes.values()].find((x) => x.nodeId === entry.nodeId);
    if (!n || n.status !== "running" || n.state !== "ready" || n.rooms >= n.capacity) return null;
    n.rooms++;
    return n;
  }

  endRoom(n: SimNode): void {
    if (n.rooms > 0) n.rooms--;
  }

  running(region?: string): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.status === "running" && (!region || n.region === region));
  }

  private view(n: SimNode): ProviderNode {
    return { id: n.id, name: n.name, region: n.region, publicAddress: `sim/${n.name}`, startedAt: n.startedAt, status: n.status === "running" ? ProviderStatus.RUNNING : ProviderStatus.EXITED, exitCode: n.exitCode };
  }
}

export const silentLogger = { info() {}, warn() {}, error() {} };

export function simManager(sim: SimCluster, over: Partial<ManagerOptions> = {}): PoolManager {
  return new PoolManager({
    provider: sim,
    registry: sim.registry,
    drain: sim.drain,
    cleanup: sim.cleanup,
    regions: ["eu", "us"],
    limits: { min: 1, max: 6 },
    policy: { ...defaultPolicy, warmRooms: 3 },
    nodeCapacity: sim.capacity,
    tickMs: 1000,
    drainMaxMs: Number.POSITIVE_INFINITY,
    crashBackoffMs: 2000,
    crashBackoffMaxMs: 60_000,
    logger: silentLogger,
    now: () => sim.t,
    ...over,
  });
}
