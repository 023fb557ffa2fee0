/**
 * Reads each node's `/metrics` (Prometheus text, server/http/metrics-endpoint.ts) for process CPU and
 * RSS (prom-client's default process metrics), the arena rooms it hosts and whether it leads the
 * matcher of a mode. CPU is a fraction of one core between two reads.
 */

export interface NodeReading { at: number; cpuSeconds: number; rssBytes: number; arenaRooms: number; clients: number; leaderModes: string[] }

/** Parses the few series the tools need from a Prometheus text page. */
export function parseMetrics(text: string, at = Date.now()): NodeReading {
  const value = (re: RegExp) => { const m = re.exec(text); return m ? Number(m[1]) : 0; };
  const leaderModes = [...text.matchAll(/^rally_mm_leader\{[^}]*mode="([^"]+)"[^}]*\} 1$/gm)].map((m) => m[1]!);
  let clients = 0;
  for (const m of text.matchAll(/^rally_clients\{[^}]*\} (\d+(?:\.\d+)?)$/gm)) clients += Number(m[1]);
  return {
    at,
    cpuSeconds: value(/^process_cpu_seconds_total(?:\{[^}]*\})? ([\d.e+-]+)$/m),
    rssBytes: value(/^process_resident_memory_bytes(?:\{[^}]*\})? ([\d.e+-]+)$/m),
    arenaRooms: value(/^rally_rooms\{[^}]*room="arena"[^}]*\} (\d+)/m),
    clients,
    leaderModes,
  };
}

export async function readMetrics(url: string, token: string | undefined, timeoutMs = 3000): Promise<NodeReading> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

export interface NodeSample { at: number; cpu: number; rssMb: number; arenaRooms: number; clients: number }

export interface NodeSummary {
  node: string;
  /** Mean and peak process CPU, percent of one core. */
  cpuAvgPct: number | null;
  cpuMaxPct: number | null;
  rssMbMax: number | null;
  rssMbLast: number | null;
  arenaRoomsMax: number;
  clientsMax: number;
  /** Reads that failed (node down or /metrics refused). */
  failedReads: number;
}

/** Polls every node's /metrics on an interval and keeps per-node CPU/RSS samples. */
export class MetricsPoller {
  private readonly last = new Map<string, NodeReading>();
  readonly samples = new Map<string, NodeSample[]>();
  private readonly failed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private urls: Map<string, string>, private readonly token: string | undefined, private readonly everyMs = 2000) {
    for (const node of urls.keys()) { this.samples.set(node, []); this.failed.set(node, 0); }
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.everyMs);
    void this.poll();
  }

  stop(): void { clearInterval(this.timer); }

  async poll(): Promise<void> {
    await Promise.all([...this.urls].map(async ([node, url]) => {
      try {
        const r = await readMetrics(url, this.token);
        const prev = this.last.get(node);
        this.last.set(node, r);
        // a restarted process starts its CPU counter again: skip that interval
        if (prev && r.cpuSeconds >= prev.cpuSeconds && r.at > prev.at) {
          this.samples.get(node)!.push({ at: r.at, cpu: (r.cpuSeconds - prev.cpuSeconds) / ((r.at - prev.at) / 1000), rssMb: r.rssBytes / 2 ** 20, arenaRooms: r.arenaRooms, clients: r.clients });
        }
      } catch {
        this.failed.set(node, (this.failed.get(node) ?? 0) + 1);
        this.last.delete(node);
      }
    }));
  }

  summary(): NodeSummary[] {
    return [...this.samples].map(([node, s]) => {
      const cpu = s.map((x) => x.cpu * 100);
      const round = (v: number) => Math.round(v * 10) / 10;
      return {
        node,
        cpuAvgPct: cpu.length ? round(cpu.reduce((a, b) => a + b, 0) / cpu.length) : null,
        cpuMaxPct: cpu.length ? round(Math.max(...cpu)) : null,
        rssMbMax: s.length ? round(Math.max(...s.map((x) => x.rssMb))) : null,
        rssMbLast: s.length ? round(s.at(-1)!.rssMb) : null,
        arenaRoomsMax: Math.max(0, ...s.map((x) => x.arenaRooms)),
        clientsMax: Math.max(0, ...s.map((x) => x.clients)),
        failedReads: this.failed.get(node) ?? 0,
      };
    });
  }
}
