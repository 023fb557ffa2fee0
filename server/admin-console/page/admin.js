// Rally admin console. Plain ES module, no build step, no inline code (the page's CSP forbids it).
// The token lives in sessionStorage (this tab only) and goes out as an Authorization header; every
// value shown is set with textContent, never parsed as HTML (room metadata and names are user input).
const TOKEN_KEY = "rally.admin.token";
const REFRESH_MS = 3000;

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Authorization: `Bearer ${token ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", credentials: "omit" });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data?.error ?? {};
    if (res.status === 401 || res.status === 403) signOut(`${err.code ?? res.status}: ${err.message ?? "refused"}`);
    throw new ApiError(res.status, err.code ?? `HTTP_${res.status}`, err.message ?? res.statusText);
  }
  return data;
}

function note(id, text, kind = "info") {
  const n = $(id);
  n.textContent = text;
  n.dataset.kind = kind;
}
const describe = (e) => (e instanceof ApiError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));
const ago = (ms) => (ms < 1000 ? "now" : `${Math.round(ms / 1000)} s ago`);
const seconds = (s) => (s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);
const empty = (cols, text) => el("tr", {}, el("td", { className: "empty", colSpan: cols, textContent: text }));

// ---- login -------------------------------------------------------------------------------------

let timer = null;

function show(view) {
  document.body.dataset.view = view;
  $("login-view").hidden = view === "console";
  $("console-view").hidden = view !== "console";
  $("logout").hidden = view !== "console";
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(timer);
  timer = null;
  show("login");
  if (reason) note("login-note", reason, "error");
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await api("GET", "/v1/admin/nodes");
  } catch (e) {
    if (sessionStorage.getItem(TOKEN_KEY)) signOut(describe(e));
    return;
  }
  note("login-note", "");
  show("console");
  await refresh();
  timer = setInterval(() => void refresh(), REFRESH_MS);
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("token");
  const token = input.value.trim();
  input.value = "";
  if (token) void signIn(token);
});
$("logout").addEventListener("click", () => signOut(""));

// ---- tabs --------------------------------------------------------------------------------------

let tab = "nodes";
for (const b of document.querySelectorAll(".tabs button")) {
  b.addEventListener("click", () => {
    tab = b.dataset.tab;
    for (const t of document.querySelectorAll(".tabs button")) t.setAttribute("aria-selected", String(t === b));
    for (const s of document.querySelectorAll("section[id^='tab-']")) s.hidden = s.id !== `tab-${tab}`;
    void refresh();
  });
}

async function refresh() {
  try {
    if (tab === "nodes") await loadNodes();
    else if (tab === "rooms") await loadRooms();
    else if (tab === "queues") await loadQueues();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    note("console-note", describe(e), "error");
  }
}

// ---- nodes -------------------------------------------------------------------------------------

async function loadNodes() {
  const { nodes } = await api("GET", "/v1/admin/nodes");
  const now = Date.now();
  $("nodes").replaceChildren(...nodes.map((n) => {
    const state = n.alive ? n.state : "dead";
    const drain = el("button", { className: "danger", textContent: "Drain", disabled: !n.alive || n.state !== "ready" });
    drain.dataset.nodeId = n.nodeId;
    drain.addEventListener("click", () => void drainNode(n));
    return el("tr", { dataset: { nodeId: n.nodeId, state } },
      el("td", {}, n.name ?? "", n.name ? el("br") : null, el("code", { textContent: n.nodeId })),
      el("td", { textContent: n.region }),
      el("td", {}, el("span", { className: "state", dataset: { state }, textContent: state })),
      el("td", { textContent: `${n.rooms} / ${n.capacity}` }),
      el("td", { textContent: String(n.ccu) }),
      el("td", { textContent: ago(now - n.heartbeatAt) }),
      el("td", {}, drain));
  }));
  if (!nodes.length) $("nodes").append(empty(7, "No nodes in the registry."));
}

async function drainNode(n) {
  if (!confirm(`Drain ${n.name ?? n.nodeId}? It takes no new rooms; running matches finish.`)) return;
  try {
    await api("POST", `/v1/admin/nodes/${encodeURIComponent(n.nodeId)}/drain`);
    note("console-note", `drain requested for ${n.name ?? n.nodeId}`);
    // The node publishes its new state with its next heartbeat write; look again shortly.
    setTimeout(() => void refresh(), 300);
  } catch (e) {
    note("console-note", describe(e), "error");
  }
}

// ---- rooms -------------------------------------------------------------------------------------

let openRoom = null;

async function loadRooms() {
  const { rooms } = await api("GET", "/v1/admin/rooms");
  $("rooms").replaceChildren(...rooms.map((r) => {
    const view = el("button", { textContent: "Clients" });
    view.addEventListener("click", () => { openRoom = r.roomId; void loadRoom(); });
    const meta = Object.entries(r.metadata).filter(([, v]) => v !== null && v !== undefined && typeof v !== "object").map(([k, v]) => `${k}=${v}`).join(" ");
    return el("tr", { dataset: { roomId: r.roomId, name: r.name } },
      el("td", {}, el("code", { textContent: r.roomId }), r.locked ? el("span", { className: "muted", textContent: " locked" }) : null),
      el("td", { textContent: r.name }),
      el("td", { className: "clients", textContent: `${r.clients} / ${r.maxClients}` }),
      el("td", { textContent: r.node ?? r.nodeId }),
      el("td", {}, el("code", { textContent: meta })),
      el("td", {}, view));
  }));
  if (!rooms.length) $("rooms").append(empty(6, "No rooms."));
  if (openRoom) await loadRoom();
}

async function loadRoom() {
  try {
    const { room, clients } = await api("GET", `/v1/admin/rooms/${encodeURIComponent(openRoom)}`);
    $("room-detail").hidden = false;
    $("room-id").textContent = room.roomId;
    $("room-summary").textContent = `${room.name} · ${room.clients}/${room.maxClients} · ${room.node ?? room.nodeId}`;
    $("room-clients").replaceChildren(...clients.map((c) => el("tr", { dataset: { sessionId: c.sessionId, playerId: c.playerId ?? "" } },
      el("td", {}, el("code", { textContent: c.sessionId })),
      el("td", {}, el("code", { textContent: c.playerId ?? "-" })),
      el("td", { textContent: c.name ?? "-" }))));
    if (!clients.length) $("room-clients").append(empty(3, "No clients connected."));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) { openRoom = null; $("room-detail").hidden = true; }
    throw e;
  }
}

// ---- queues ------------------------------------------------------------------------------------

async function loadQueues() {
  const { modes } = await api("GET", "/v1/admin/queues");
  $("queues").replaceChildren(...modes.map((m) => el("tr", { dataset: { mode: m.mode } },
    el("td", { textContent: m.mode }),
    el("td", { className: "tickets", textContent: String(m.waitingTickets) }),
    el("td", { textContent: String(m.waitingPlayers) }),
    el("td", { textContent: m.waitingTickets ? seconds(m.oldestWaitS) : "-" }),
    el("td", { textContent: m.regions.map((r) => `${r.region}: ${r.tickets} (${seconds(r.oldestWaitS)})`).join(", ") || "-" }))));
  if (!modes.length) $("queues").append(empty(5, "No queue modes."));
}

// ---- players -----------------------------------------------------------------------------------

let current = null;

async function showPlayer(playerId) {
  const p = await api("GET", `/v1/admin/players/${encodeURIComponent(playerId)}`);
  current = p.playerId;
  $("player").hidden = false;
  $("player").dataset.playerId = p.playerId;
  $("player").dataset.banned = String(Boolean(p.ban));
  $("p-name").textContent = p.name;
  $("p-id").textContent = p.playerId;
  $("p-username").textContent = p.username ?? "(guest)";
  $("p-created").textContent = p.createdAt;
  const ban = $("p-ban");
  ban.className = p.ban ? "banned" : "";
  ban.textContent = p.ban ? `banned: ${p.ban.reason} (${new Date(p.ban.at).toISOString()})` : "not banned";
  $("p-items").textContent = Object.entries(p.items ?? {}).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  $("p-ratings").replaceChildren(...p.ratings.map((r) => el("tr", { dataset: { mode: r.mode } },
    el("td", { textContent: r.mode }), el("td", { className: "mmr", textContent: String(r.mmr) }),
    el("td", { textContent: `${r.wins} / ${r.losses} / ${r.draws}` }), el("td", { textContent: String(r.matches) }))));
  if (!p.ratings.length) $("p-ratings").append(empty(4, "No rated matches yet."));
  $("ban").disabled = Boolean(p.ban);
  $("unban").disabled = !p.ban;
}

const playerAction = (what) => async (e) => {
  e?.preventDefault();
  try {
    note("console-note", "");
    await what();
  } catch (err) {
    note("console-note", describe(err), "error");
  }
};

$("lookup-form").addEventListener("submit", playerAction(async () => {
  const q = $("lookup").value.trim();
  $("player").hidden = true;
  const { playerId } = await api("GET", `/v1/admin/lookup?${new URLSearchParams({ q })}`);
  await showPlayer(playerId);
}));
$("ban-form").addEventListener("submit", playerAction(async () => {
  const reason = $("ban-reason").value.trim() || "banned from the admin console";
  await api("POST", `/v1/admin/players/${encodeURIComponent(current)}/ban`, { reason });
  note("console-note", "player banned; their connections were closed");
  await showPlayer(current);
}));
$("unban").addEventListener("click", playerAction(async () => {
  await api("DELETE", `/v1/admin/players/${encodeURIComponent(current)}/ban`);
  note("console-note", "ban lifted");
  await showPlayer(current);
}));
$("rating-form").addEventListener("submit", playerAction(async () => {
  const mode = $("rating-mode").value.trim();
  const rating = Number($("rating-value").value);
  if (!mode || !Number.isFinite(rating) || $("rating-value").value === "") throw new Error("enter a mode and a rating");
  const out = await api("PUT", `/v1/admin/players/${encodeURIComponent(current)}/rating`, { mode, rating });
  note("console-note", `${mode} rating set: search rating ${out.rating}, MMR ${out.mmr}`);
  await showPlayer(current);
}));

// ---- start -------------------------------------------------------------------------------------

show("login");
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void signIn(saved);
