/**
 * How the pool manager starts and stops game nodes. One contract, three engines: local child
 * processes (default), Docker containers, Agones GameServers. The manager never knows which.
 */

export const ProviderStatus = { RUNNING: "running", EXITED: "exited" } as const;
export type ProviderStatus = (typeof ProviderStatus)[keyof typeof ProviderStatus];

export interface ProviderNode {
  /** Provider-level id (pid-based key, container id, GameServer name). */
  readonly id: string;
  /** NODE_NAME given to the node; the registry entry carries it, so the manager can pair them. */
  readonly name: string;
  readonly region: string;
  readonly publicAddress: string;
  readonly startedAt: number;
  readonly status: ProviderStatus;
  /** Exit code (or null when killed by a signal / unknown) once exited. */
  readonly exitCode: number | null;
}

export interface StartSpec {
  readonly region: string;
}

export interface StopOptions {
  /** SIGTERM (default) drains; SIGKILL only for a node that is already dead to the cluster (hung). */
  readonly signal?: "SIGTERM" | "SIGKILL";
}

export interface NodeProvider {
  readonly kind: string;
  start(spec: StartSpec): Promise<ProviderNode>;
  stop(id: string, options?: StopOptions): Promise<void>;
  /** Every node this provider knows, running or exited since the last `forget`. Survives a manager restart. */
  list(): Promise<ProviderNode[]>;
  /** Drop an exited node from `list` (and its container / GameServer object). */
  forget(id: string): Promise<void>;
  /** Release the provider's own resources; nodes keep running. */
  close(): Promise<void>;
}

/** Environment every provider passes to a node (the engine adds PORT and its own bits). */
export interface NodeEnvBase {
  readonly REDIS_URL: string;
  readonly JWT_SECRET: string;
  readonly ROOM_CAPACITY: string;
  readonly LOG_LEVEL?: string;
  readonly DRAIN_TIMEOUT_S?: string;
  readonly [key: string]: string | undefined;
}

/** Who a node is and where it listens: the variables every provider sets on top of the base environment. */
export interface NodeIdentity {
  readonly port: number;
  readonly region: string;
  readonly publicAddress: string;
  readonly name: string;
  readonly dataDir: string;
}

/** A node's environment: the base variables that are set, then its identity (which always wins). */
export function nodeEnv(base: Readonly<Record<string, string | undefined>>, node: NodeIdentity): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return Object.assign(env, { PORT: String(node.port), REGION: node.region, PUBLIC_ADDRESS: node.publicAddress, NODE_NAME: node.name, DATA_DIR: node.dataDir });
}

/** `eu-west-k3f9a2`: region plus a random suffix, valid as NODE_NAME, container name and URL path segment. */
export function nodeName(region: string, random: () => number = Math.random): string {
  let suffix = "";
  for (let i = 0; i < 6; i++) suffix += "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(random() * 36)];
  return `${region}-${suffix}`;
}
