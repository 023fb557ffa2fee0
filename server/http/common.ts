/** Shared pieces of the `/v1` routers: body validation, bearer tokens, async handlers, the error answer. */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import helmet from "helmet";
import { z } from "zod";
import { ServerError } from "@colyseus/core";
import { decodeRefusal } from "../../protocol/index.ts";
import { RallyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Limits } from "../auth/limits.ts";
import type { Metrics } from "../metrics/index.ts";
import { corsHeadersFor } from "./cors.ts";

export function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RallyError("BAD_REQUEST", `${issue?.path.length ? `${issue.path.join(".")}: ` : ""}${issue?.message ?? "invalid input"}`);
  }
  return parsed.data;
}

export function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice(7) : undefined;
}

type Handler = (req: Request, res: Response) => Promise<void>;
/** Async handler; also records the matched route (`/auth/guest`, `/players/:id`) for the HTTP metrics. */
export const route = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => {
  res.locals.routePath = `${req.baseUrl.replace(/^\/v1/, "")}${(req.route as { path?: string } | undefined)?.path ?? ""}`;
  fn(req, res).catch(next);
};

/** The client address as express computed it under TRUST_PROXY. */
export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? "unknown";

function isBodyParserError(e: unknown): e is { type: string } {
  return typeof e === "object" && e !== null && typeof (e as { type?: unknown }).type === "string" && "status" in e;
}

/** zlib's errors for a body whose Content-Encoding does not decode (body-parser passes them on as they are): Z_* for gzip/deflate, ERR_* for brotli. */
export function isDecodeError(e: unknown): boolean {
  const { code, errno } = (e ?? {}) as { code?: unknown; errno?: unknown };
  return typeof code === "string" && typeof errno === "number" && /^(Z_|ERR_BROTLI|ERR__ERROR)/.test(code);
}

/**
 * A refusal from room creation through matchMaker.createRoom as the catalog error it encodes: a
 * ServerError when placement or a local room refused, a plain Error carrying only the refusal text
 * when the room refused on another node (Colyseus' IPC keeps the message alone). One without a Rally
 * code stays an internal error.
 */
function fromRefusal(e: Error): RallyError | null {
  if (!(e instanceof ServerError) && e.constructor !== Error) return null;
  const { code } = decodeRefusal(e);
  // the catalog's message: the room's own text may name nodes and regions
  return code === "ROOM_ERROR" || code === "INTERNAL" ? null : new RallyError(code);
}

/** `/v1` reads JSON only: express.json() leaves other content types unparsed, so a body we cannot read is refused, not treated as {}. */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  next(hasBody && !req.is("application/json") ? new RallyError("BAD_REQUEST", "the body must be application/json") : undefined);
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let error: RallyError;
    if (err instanceof RallyError) error = err;
    else if (isBodyParserError(err)) error = new RallyError("BAD_REQUEST", err.type === "entity.too.large" ? "body too large" : err.type === "encoding.unsupported" ? "unsupported Content-Encoding" : "body is not valid JSON");
    else if (isDecodeError(err)) error = new RallyError("BAD_REQUEST", "the body does not decode under its Content-Encoding");
    else if (err instanceof Error && fromRefusal(err)) error = fromRefusal(err)!;
    else if (err instanceof RangeError) error = new RallyError("BAD_REQUEST", err.message);
    else {
      logger.error({ err, path: req.path }, "unhandled error in HTTP route");
      error = new RallyError("INTERNAL");
    }
    if (error.details.retryAfterS !== undefined) res.setHeader("Retry-After", String(error.details.retryAfterS));
    res.status(error.status).json(error.toBody());
  };
}

export const idempotencyKey = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, "8 to 128 of A-Za-z0-9_.:-");
export const itemsBody = z.record(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), z.number().int().min(1).max(1_000_000_000))
  .refine((v) => Object.keys(v).length >= 1 && Object.keys(v).length <= 64, "1 to 64 items");
export const playerIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a player id");

/**
 * A `/v1` sub-router with what each one applies before its routes: security headers, CORS, the request
 * counter, the per-address budget, then a bounded JSON body (non-JSON bodies refused).
 */
export function v1Router(deps: { corsOrigins: Parameters<typeof corsHeadersFor>[1]; metrics: Pick<Metrics, "httpRequests">; limits: Pick<Limits, "api"> }, bodyLimit: string): Router {
  const router = express.Router();
  router.use(helmet());
  router.use((req, res, next) => {
    for (const [k, v] of Object.entries(corsHeadersFor(req.headers.origin ?? null, deps.corsOrigins))) res.setHeader(k, v);
    if (req.method === "OPTIONS") return void res.status(204).end();
    res.on("finish", () => deps.metrics.httpRequests.inc({ route: (res.locals.routePath as string | undefined) ?? "unmatched", status: String(res.statusCode) }));
    deps.limits.api(clientIp(req)).then(() => next(), next);
  });
  router.use(express.json({ limit: bodyLimit }));
  router.use(requireJsonBody);
  return router;
}
