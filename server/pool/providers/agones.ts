/**
 * Agones provider: each node is an Agones `GameServer` (agones.dev/v1) labelled by region, created
 * and deleted through the Kubernetes API. The engine boundary (`AgonesEngine`) is three calls;
 * `kubernetesEngine` maps them onto `@kubernetes/client-node`'s CustomObjectsApi. The manifest
 * building and state mapping run in the provider contract tests against a fake engine; nothing here
 * has run against a real cluster (see server/pool/README.md for the Fleet + FleetAutoscaler
 * alternative).
 *
 * Stopping: SIGTERM = delete with the pod's grace period (terminationGracePeriodSeconds is set to the
 * node's drain timeout + 30 s, so Kubernetes' SIGTERM lets matches finish); SIGKILL = delete with
 * grace 0. PUBLIC_ADDRESS is `<publicHost>/n/<name>` behind an ingress that routes by path, as in Docker.
 */
import { ProviderStatus, nodeEnv, nodeName, type NodeEnvBase, type NodeProvider, type ProviderNode, type StartSpec, type StopOptions } from "../provider.ts";

export const AGONES = { GROUP: "agones.dev", VERSION: "v1", PLURAL: "gameservers" } as const;
export const LABEL = { POOL: "rally.dev/pool", REGION: "rally.dev/region", ADDRESS: "rally.dev/public-address" } as const;
/** Agones states after which the process is gone. */
const GONE = new Set(["Shutdown", "Error", "Unhealthy"]);

export interface GameServerInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Agones status.state; undefined before the controller saw it. */
  readonly state: string | undefined;
  readonly createdAt: number;
}

/** The only calls the provider makes to Kubernetes. */
export interface AgonesEngine {
  create(manifest: Record<string, unknown>): Promise<void>;
  delete(name: string, gracePeriodSeconds?: number): Promise<void>;
  list(labelSelector: string): Promise<GameServerInfo[]>;
}

export interface AgonesProviderOptions {
  readonly image: string;
  readonly env: NodeEnvBase;
  /** Host of the ingress clients use; PUBLIC_ADDRESS = `<publicHost>/<name>`. */
  readonly publicHost?: string;
  /** DRAIN_TIMEOUT_S (server/config.ts): a node gets this plus 30 s to drain before it is killed. */
  readonly drainTimeoutS: number;
  readonly now?: () => number;
}

export class AgonesProvider implements NodeProvider {
  readonly kind = "agones";
  private readonly now: () => number;

  constructor(private readonly engine: AgonesEngine, private readonly options: AgonesProviderOptions) {
    this.now = options.now ?? Date.now;
  }

  manifest(name: string, region: string, publicAddress: string): Record<string, unknown> {
    const env = Object.entries(nodeEnv(this.options.env, { port: 2567, region, publicAddress, name, dataDir: "/data" })).map(([k, value]) => ({ name: k, value }));
    return {
      apiVersion: `${AGONES.GROUP}/${AGONES.VERSION}`,
      kind: "GameServer",
      metadata: { name, labels: { [LABEL.POOL]: "1", [LABEL.REGION]: region }, annotations: { [LABEL.ADDRESS]: publicAddress } },
      spec: {
        ports: [{ name: "default", containerPort: 2567, protocol: "TCP", portPolicy: "Dynamic" }],
        // Rally's own registry heartbeat is the liveness signal the manager acts on; Agones' SDK
        // health pings are disabled so a node without the Agones sidecar SDK is not marked Unhealthy.
        health: { disabled: true },
        template: {
          metadata: { labels: { [LABEL.REGION]: region } },
          spec: {
            terminationGracePeriodSeconds: this.options.drainTimeoutS + 30,
            containers: [{ name: "rally", image: this.options.image, env, readinessProbe: { httpGet: { path: "/readyz", port: 2567 }, periodSeconds: 2 } }],
          },
        },
      },
    };
  }

  async start(spec: StartSpec): Promise<ProviderNode> {
    const name = nodeName(spec.region);
    const publicAddress = `${this.options.publicHost ?? "rally.example"}/n/${name}`;
    const startedAt = this.now();
    await this.engine.create(this.manifest(name, spec.region, publicAddress));
    return { id: name, name, region: spec.region, publicAddress, startedAt, status: ProviderStatus.RUNNING, exitCode: null };
  }

  async stop(id: string, options: StopOptions = {}): Promise<void> {
    await this.engine.delete(id, options.signal === "SIGKILL" ? 0 : undefined);
  }

  async list(): Promise<ProviderNode[]> {
    const servers = await this.engine.list(`${LABEL.POOL}=1`);
    return servers.map((g) => {
      const gone = g.state !== undefined && GONE.has(g.state);
      return {
        id: g.name, name: g.name, region: g.labels[LABEL.REGION] ?? "unknown", publicAddress: g.annotations[LABEL.ADDRESS] ?? "",
        startedAt: g.createdAt, status: gone ? ProviderStatus.EXITED : ProviderStatus.RUNNING, exitCode: null,
      };
    });
  }

  async forget(id: string): Promise<void> {
    await this.engine.delete(id, 0).catch(() => undefined); // already deleted is fine
  }

  async close(): Promise<void> {}
}

/** The real engine: in-cluster service account or ~/.kube/config, via @kubernetes/client-node. */
export async function kubernetesEngine(namespace: string): Promise<AgonesEngine> {
  const k8s = await import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const base = { group: AGONES.GROUP, version: AGONES.VERSION, namespace, plural: AGONES.PLURAL };
  return {
    async create(manifest) {
      await api.createNamespacedCustomObject({ ...base, body: manifest });
    },
    async delete(name, gracePeriodSeconds) {
      await api.deleteNamespacedCustomObject({ ...base, name, gracePeriodSeconds });
    },
    async list(labelSelector) {
      const res = await api.listNamespacedCustomObject({ ...base, labelSelector }) as { items?: Array<{ metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string }; status?: { state?: string } }> };
      return (res.items ?? []).map((i) => ({
        name: i.metadata?.name ?? "",
        labels: i.metadata?.labels ?? {},
        annotations: i.metadata?.annotations ?? {},
        state: i.status?.state,
        createdAt: i.metadata?.creationTimestamp ? Date.parse(i.metadata.creationTimestamp) : 0,
      }));
    },
  };
}
