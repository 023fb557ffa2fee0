/**
 * Docker provider: each node is a container from the Rally image on the pool network, labelled by
 * region. The engine boundary (`DockerEngine`) is four calls; `dockerodeEngine` maps them onto the
 * Docker Engine API through dockerode. Everything else (names, env, labels, state mapping) is here and
 * runs in the provider contract tests against a fake engine; the dockerode calls themselves have not
 * run against a real daemon in this repo's CI (see server/pool/README.md).
 *
 * Routing: every node container joins the network with the alias `rally-node` (the load balancer's
 * HTTP pool) and gets PUBLIC_ADDRESS `<publicHost>/n/<name>`; the load balancer sends `/n/<name>/...` to
 * the container of that name (docker/nginx.conf), so each WebSocket reaches the node owning its room.
 */
import { ProviderStatus, nodeEnv, nodeName, type NodeEnvBase, type NodeProvider, type ProviderNode, type StartSpec, type StopOptions } from "../provider.ts";

export const LABEL = { POOL: "rally.pool", REGION: "rally.region", NAME: "rally.name", ADDRESS: "rally.public-address", STARTED: "rally.started-at" } as const;
export const NODE_ALIAS = "rally-node";
export const NODE_PORT = 2567;

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly env: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly network: string;
  readonly aliases: readonly string[];
  /** Seconds Docker waits after SIGTERM on `docker stop`; we send signals ourselves, but keep it long. */
  readonly stopTimeoutS: number;
}

export interface ContainerInfo {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly running: boolean;
  readonly exitCode: number | null;
}

/** The only calls the provider makes to a container engine. */
export interface DockerEngine {
  run(spec: ContainerSpec): Promise<string>;
  signal(id: string, signal: "SIGTERM" | "SIGKILL"): Promise<void>;
  list(label: string): Promise<ContainerInfo[]>;
  remove(id: string): Promise<void>;
}

export interface DockerProviderOptions {
  readonly image: string;
  readonly network: string;
  /** host[:port] of the load balancer, as clients see it. */
  readonly publicHost: string;
  readonly env: NodeEnvBase;
  /** DRAIN_TIMEOUT_S (server/config.ts): a node gets this plus 30 s to drain before it is killed. */
  readonly drainTimeoutS: number;
  readonly now?: () => number;
}

export class DockerProvider implements NodeProvider {
  readonly kind = "docker";
  private readonly now: () => number;

  constructor(private readonly engine: DockerEngine, private readonly options: DockerProviderOptions) {
    this.now = options.now ?? Date.now;
  }

  async start(spec: StartSpec): Promise<ProviderNode> {
    const name = nodeName(spec.region);
    const publicAddress = `${this.options.publicHost}/n/${name}`;
    const startedAt = this.now();
    // The image carries the built demo: a node serves it unless the pool's env says SERVE_DEMO=false.
    const env = nodeEnv(this.options.env, { port: NODE_PORT, region: spec.region, publicAddress, name, dataDir: "/data" });
    const labels = { [LABEL.POOL]: "1", [LABEL.REGION]: spec.region, [LABEL.NAME]: name, [LABEL.ADDRESS]: publicAddress, [LABEL.STARTED]: String(startedAt) };
    const id = await this.engine.run({
      name, image: this.options.image, network: this.options.network, aliases: [NODE_ALIAS, name], labels,
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      stopTimeoutS: this.options.drainTimeoutS + 30,
    });
    return { id, name, region: spec.region, publicAddress, startedAt, status: ProviderStatus.RUNNING, exitCode: null };
  }

  async stop(id: string, options: StopOptions = {}): Promise<void> {
    await this.engine.signal(id, options.signal ?? "SIGTERM");
  }

  async list(): Promise<ProviderNode[]> {
    const containers = await this.engine.list(`${LABEL.POOL}=1`);
    return containers.map((c) => ({
      id: c.id,
      name: c.labels[LABEL.NAME] ?? c.id,
      region: c.labels[LABEL.REGION] ?? "unknown",
      publicAddress: c.labels[LABEL.ADDRESS] ?? "",
      startedAt: Number(c.labels[LABEL.STARTED] ?? 0),
      status: c.running ? ProviderStatus.RUNNING : ProviderStatus.EXITED,
      exitCode: c.running ? null : c.exitCode,
    }));
  }

  async forget(id: string): Promise<void> {
    await this.engine.remove(id);
  }

  async close(): Promise<void> {}
}

/** `Exited (137) 3 seconds ago` -> 137. */
export function exitCodeFromStatus(status: string | undefined): number | null {
  const m = /Exited \((-?\d+)\)/.exec(status ?? "");
  return m ? Number(m[1]) : null;
}

/** The real engine: dockerode over /var/run/docker.sock (or DOCKER_HOST, read by docker-modem). */
export async function dockerodeEngine(): Promise<DockerEngine> {
  const { default: Docker } = await import("dockerode");
  const docker = new Docker();
  return {
    async run(spec) {
      const container = await docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Env: [...spec.env],
        Labels: { ...spec.labels },
        StopTimeout: spec.stopTimeoutS,
        HostConfig: { NetworkMode: spec.network, RestartPolicy: { Name: "no" } },
        NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: [...spec.aliases] } } },
      });
      await container.start();
      return container.id;
    },
    async signal(id, signal) {
      await docker.getContainer(id).kill({ signal });
    },
    async list(label) {
      const all = await docker.listContainers({ all: true, filters: { label: [label] } });
      return all.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, running: c.State === "running" || c.State === "created" || c.State === "restarting", exitCode: exitCodeFromStatus(c.Status) }));
    },
    async remove(id) {
      await docker.getContainer(id).remove({ force: false });
    },
  };
}
