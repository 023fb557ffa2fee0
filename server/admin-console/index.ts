/**
 * The admin console: static pages at `/admin` and the JSON routes they read, under `/v1/admin`
 * behind the same Bearer ADMIN_TOKEN guard and per-address budget as the other admin routes
 * (server/http/admin.ts mounts the budget first). Colyseus' monitor is deliberately not used: it
 * calls any room method without auth.
 *
 *   GET /v1/admin/rooms            every room listing in the cluster (driver query) with its node
 *   GET /v1/admin/rooms/:roomId    one listing and its clients (sessionId, playerId, name), asked
 *                                  of the node that hosts it over presence (one fixed question)
 *   GET /v1/admin/queues           per mode: waiting tickets, players, oldest wait, per region
 *   GET /v1/admin/lookup?q=        a player id from an id or a username
 *
 * Without ADMIN_TOKEN, `/admin` answers a 404 "admin disabled" page and `/v1/admin/*` 404
 * ADMIN_DISABLED: never an open console. The page keeps the token in sessionStorage and sends it as
 * an Authorization header; no cookie, nothing in a URL.
 */
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { matchMaker, requestFromIPC, subscribeIPC, type Presence } from "@colyseus/core";
import { RallyError } from "../errors.ts";
import { adminGuard } from "../http/admin.ts";
import { errorHandler, parse, route } from "../http/common.ts";
import type { Logger } from "../log.ts";
import type { NodeRegistry } from "../registry/index.ts";
import type { Store } from "../store/index.ts";
import { queueSummary, type QueueSummary, type WaitingSource } from "./queues.ts";

export { queueSummary, type QueueSummary, type WaitingSource } from "./queues.ts";

const pageDir = fileURLToPath(new URL("./page/", import.meta.url));

export interface AdminConsoleDeps {
  readonly adminToken: string | undefined;
  readonly registry: NodeRegistry;
  readonly presence: Presence;
  /** This node's process id (Colyseus' processId once the server is set up). */
  readonly processId: () => string;
  readonly queues: WaitingSource;
  readonly store: { readonly players: Pick<Store["players"], "get">; readonly accounts: Pick<Store["accounts"], "byUsername"> };
  readonly logger: Logger;
}

export interface RoomClientView {
  readonly sessionId: string;
  readonly playerId: string | null;
  readonly name: string | null;
}

const roomIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a room id");
const lookupQuery = z.object({ q: z.string().trim().min(1).max(64) });
const ipcChannel = (processId: string) => `rally:admin:${processId}`;
const ROOM_CLIENTS = "roomClients";

/** The clients of a room on this process, reduced to what an operator needs (never tokens). */
export function localRoomClients(roomId: string): RoomClientView[] | null {
  const room = matchMaker.getLocalRoomById(roomId);
  if (!room) return null;
  return room.clients.map((c) => {
    const auth = c.auth as { playerId?: unknown; name?: unknown } | undefined;
    return {
      sessionId: c.sessionId,
      playerId: typeof auth?.playerId === "string" ? auth.playerId : null,
      name: typeof auth?.name === "string" ? auth.name : null,
    };
  });
}

/** A strict page policy: scripts, styles and fetches from this origin only; no inline code, no frames. */
const pageHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      "default-src": ["'none'"], "script-src": ["'self'"], "style-src": ["'self'"], "connect-src": ["'self'"],
      "img-src": ["'self'", "data:"], "base-uri": ["'none'"], "form-action": ["'none'"], "frame-ancestors": ["'none'"],
    },
  },
  referrerPolicy: { policy: "no-referrer" },
});

const disabledPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rally admin disabled</title></head>
<body><h1>Admin console disabled</h1><p>ADMIN_DISABLED: this node has no ADMIN_TOKEN configured, so the admin console and the admin API are off.</p></body></html>`;

/**
 * Answers IPC questions about this node's rooms from other nodes' admin routes. Only the one fixed
 * question, never an arbitrary room method (what makes Colyseus' monitor unsafe).
 */
export async function serveAdminQuestions(presence: Presence, processId: string): Promise<void> {
  await subscribeIPC(presence, ipcChannel(processId), (method, args) => {
    if (method !== ROOM_CLIENTS || !Array.isArray(args) || typeof args[0] !== "string") throw new Error("unknown admin question");
    return localRoomClients(args[0]);
  });
}

export function mountAdminConsole(app: Application, deps: AdminConsoleDeps): Application {
  const noStore = (_req: Request, res: Response, next: NextFunction) => { res.setHeader("Cache-Control", "no-store"); next(); };
  if (!deps.adminToken) {
    app.use("/admin", pageHeaders, noStore, (_req, res) => void res.status(404).type("html").send(disabledPage));
    app.use("/v1/admin", (_req, res) => void res.status(404).json(new RallyError("ADMIN_DISABLED").toBody()));
    return app;
  }
  // The pages are public files (they hold no data); everything they show comes from the guarded API.
  // Relative asset paths need the trailing slash (express matches "/admin" and "/admin/" alike, hence the path test).
  app.get("/admin", (req, res, next) => (req.originalUrl.split("?")[0] === "/admin" ? res.redirect(301, "/admin/") : next()));
  app.use("/admin", pageHeaders, noStore, express.static(pageDir, { index: "index.html", dotfiles: "ignore", redirect: false }));
  app.use("/admin", pageHeaders, (_req, res) => void res.status(404).type("text").send("not found"));

  const router = express.Router();
  router.use(adminGuard(deps.adminToken));

  const nodeNames = async () => new Map((await deps.registry.list()).map((e) => [e.nodeId, e.name ?? null]));

  router.get("/rooms", route(async (_req, res) => {
    const [listings, names] = await Promise.all([matchMaker.query({}), nodeNames()]);
    const rooms = listings.map((r) => ({
      roomId: r.roomId, name: r.name, clients: r.clients, maxClients: r.maxClients, locked: Boolean(r.locked), private: Boolean(r.private),
      metadata: r.metadata ?? {}, nodeId: r.processId, node: names.get(r.processId) ?? null, createdAt: r.createdAt ?? null,
    }));
    rooms.sort((a, b) => a.name.localeCompare(b.name) || a.roomId.localeCompare(b.roomId));
    res.json({ rooms });
  }));

  router.get("/rooms/:roomId", route(async (req, res) => {
    const roomId = parse(roomIdParam, req.params.roomId);
    const listing = (await matchMaker.findRoomsByIds([roomId])).get(roomId);
    if (!listing) throw new RallyError("NOT_FOUND", `no room "${roomId}"`);
    const names = await nodeNames();
    const clients = listing.processId === deps.processId()
      ? localRoomClients(roomId)
      : await requestFromIPC<RoomClientView[] | null>(deps.presence, ipcChannel(listing.processId), ROOM_CLIENTS, [roomId], 2000).catch((err: unknown) => {
        deps.logger.warn({ err, roomId, nodeId: listing.processId }, "admin: the room's node did not answer");
        throw new RallyError("NOT_READY", `the node hosting "${roomId}" did not answer`);
      });
    if (!clients) throw new RallyError("NOT_FOUND", `room "${roomId}" is gone`);
    res.json({
      room: { roomId, name: listing.name, clients: listing.clients, maxClients: listing.maxClients, locked: Boolean(listing.locked), metadata: listing.metadata ?? {}, nodeId: listing.processId, node: names.get(listing.processId) ?? null },
      clients,
    });
  }));

  router.get("/queues", route(async (_req, res) => {
    const modes: QueueSummary[] = await queueSummary(deps.queues, Date.now());
    res.json({ modes });
  }));

  router.get("/lookup", route(async (req, res) => {
    const { q } = parse(lookupQuery, req.query);
    const byId = /^[A-Za-z0-9_-]{1,64}$/.test(q) ? await deps.store.players.get(q) : null;
    const found = byId ?? (await deps.store.accounts.byUsername(q))?.player ?? null;
    if (!found) throw new RallyError("NOT_FOUND", "no player with this id or username");
    res.json({ playerId: found.id });
  }));

  const handle = errorHandler(deps.logger);
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => handle(err, req, res, next));
  app.use("/v1/admin", router);
  return app;
}
