/**
 * `GET /metrics` (Prometheus text): on the main port by default, or on its own listener
 * (METRICS_PORT / METRICS_HOST) so operators can keep it off the public address; with METRICS_TOKEN
 * it needs `Authorization: Bearer <METRICS_TOKEN>` wherever it is served.
 */
import { createServer, type Server } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import type { Metrics } from "../metrics/index.ts";
import { RallyError } from "../errors.ts";

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const a = Buffer.from(header.slice(7)), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The error answer, or null when the request may read the metrics. */
function refusal(authorization: string | undefined, token: string | undefined): RallyError | null {
  if (!token) return null;
  if (!authorization) return new RallyError("AUTH_MISSING_TOKEN", "Authorization: Bearer <METRICS_TOKEN> required");
  return tokenMatches(authorization, token) ? null : new RallyError("FORBIDDEN", "wrong metrics token");
}

export function metricsHandler(metrics: Metrics, token: string | undefined) {
  return (req: Request, res: Response): void => {
    const refused = refusal(req.headers.authorization, token);
    if (refused) return void res.status(refused.status).json(refused.toBody());
    metrics.text().then((text) => res.type(metrics.registry.contentType).send(text), () => res.status(500).json(new RallyError("INTERNAL").toBody()));
  };
}

/** A listener serving only `/metrics`; `start()` binds it, `close()` stops it. */
export class MetricsListener {
  private server: Server | undefined;

  constructor(private readonly metrics: Metrics, private readonly options: { port: number; host: string; token?: string }) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const answer = (status: number, body: string, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" || path !== "/metrics") return answer(404, JSON.stringify(new RallyError("NOT_FOUND", "only GET /metrics here").toBody()));
      const refused = refusal(req.headers.authorization, this.options.token);
      if (refused) return answer(refused.status, JSON.stringify(refused.toBody()));
      this.metrics.text().then((text) => answer(200, text, this.metrics.registry.contentType), () => answer(500, JSON.stringify(new RallyError("INTERNAL").toBody())));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => { server.off("error", reject); resolve(); });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
