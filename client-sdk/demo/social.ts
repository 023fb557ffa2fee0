/**
 * The demo's side panel: friends with live presence, a party that queues together, and a small
 * peer-to-peer relay chat. Only the public SDK (SocialClient, RelayClient, queue); the arena view in
 * demo.ts takes over when the party is seated (through the hooks).
 */
import {
  RallyApiError, RallyRoomError, RelayClient, SocialClient, queue,
  type FriendsList, type PartyInvite, type PartyView, type PeerSession, type Presence, type QueueStatus, type RallyClient,
} from "../index.ts";
import type { Room } from "@colyseus/sdk";

/** What tests read (window.rally.social). */
export interface SocialDebug {
  readonly connected: boolean;
  readonly friends: Array<{ playerId: string; name: string | null; status: string; mode: string | null }>;
  readonly incoming: string[];
  readonly party: PartyView | null;
  readonly invites: string[];
  readonly queue: { mode: string; state: string } | null;
  /** What the party is doing now: no party, ready to queue, queueing, or playing a match. */
  readonly partyState: PartyState;
  /** Each member's live status as the panel shows it (presence for friends, this tab for you). */
  readonly members: Array<{ playerId: string; status: string }>;
  readonly relay: { code: string | null; peers: number; log: string[] };
}

export type PartyState = "none" | "ready" | "queueing" | "in_match";

/** The panel as demo.ts drives it: the debug view plus a re-render when the match view changes. */
export interface SocialPanel extends SocialDebug {
  refresh(): void;
}

export interface SocialHooks {
  /** True while this tab plays (or waits in) a match room. */
  inMatch(): boolean;
  /** The party is about to queue: leave the casual arena, show the queue. */
  beforeQueue(mode: string): Promise<void>;
  status(status: QueueStatus): void;
  /** The matchmaker seated this player: the match room is joined. */
  seated(room: Room): void;
  /** Queueing stopped without a seat: cancelled (by a member, or a member left) or refused. */
  queueEnded(reason: string, cancelled: boolean): void;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

const button = (text: string, onClick: () => unknown, primary = false) =>
  el("button", { className: primary ? "act primary" : "act", textContent: text, onclick: () => void onClick() });

const describe = (e: unknown) => e instanceof RallyApiError || e instanceof RallyRoomError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);

const STATUS_TEXT: Record<string, string> = { online: "online", in_queue: "in queue", in_match: "in match", offline: "offline" };
const presenceText = (p: { status: string; mode: string | null }) => `${STATUS_TEXT[p.status] ?? p.status}${p.mode && p.status !== "online" ? ` · ${p.mode}` : ""}`;

export function startSocialPanel(rally: RallyClient, hooks: SocialHooks): SocialPanel {
  const social = new SocialClient(rally);
  const relay = new RelayClient(rally);
  const me = rally.auth.session!;

  let connected = false;
  let list: FriendsList = { friends: [], incoming: [], outgoing: [], blocked: [] };
  const presence = new Map<string, Presence>();
  let party: PartyView | null = null;
  const invites = new Map<string, PartyInvite>();
  let queueing: { mode: string; state: string; abort: AbortController } | null = null;
  let peer: PeerSession | null = null;
  const relayLog: string[] = [];

  // ---- chrome: identity and tabs ----------------------------------------------------------------
  $("me-name").textContent = me.name;
  const meId = $("me-id");
  meId.textContent = me.playerId;
  meId.onclick = () => void navigator.clipboard?.writeText(me.playerId).then(() => note("friends", "player id copied")).catch(() => undefined);
  const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>(".tabs button"));
  const showTab = (name: string) => {
    for (const t of tabs) t.setAttribute("aria-selected", String(t.dataset.tab === name));
    for (const s of Array.from(document.querySelectorAll<HTMLElement>("section.tab"))) s.hidden = s.id !== `tab-${name}`;
  };
  for (const t of tabs) t.onclick = () => showTab(t.dataset.tab!);

  function note(tab: "friends" | "party", text: string, kind: "info" | "error" = "info"): void {
    const n = $(`${tab}-note`);
    n.textContent = text;
    n.dataset.kind = kind;
  }
  const attempt = (tab: "friends" | "party", what: () => Promise<unknown>) => async () => {
    try {
      note(tab, "");
      await what();
    } catch (e) {
      note(tab, describe(e), "error");
    }
  };

  // ---- friends ----------------------------------------------------------------------------------
  const friendsView = () => list.friends.map((f) => {
    const p = presence.get(f.playerId) ?? { ...f.presence, playerId: f.playerId };
    return { playerId: f.playerId, name: f.name, status: p.status, mode: p.mode };
  });

  async function reloadFriends(): Promise<void> {
    list = await social.friends.list();
    for (const f of list.friends) if (!presence.has(f.playerId)) presence.set(f.playerId, { playerId: f.playerId, ...f.presence });
    renderFriends();
  }

  function renderFriends(): void {
    const requests = $("friend-requests");
    requests.replaceChildren(...list.incoming.map((r) => el("li", { dataset: { playerId: r.playerId } },
      el("span", { className: "who", textContent: r.name ?? r.playerId, title: r.playerId }),
      button("Accept", attempt("friends", async () => { await social.friends.accept(r.playerId); await reloadFriends(); }), true),
      button("Decline", attempt("friends", async () => { await social.friends.decline(r.playerId); await reloadFriends(); })),
    )), ...list.outgoing.map((r) => el("li", { dataset: { playerId: r.playerId } },
      el("span", { className: "who", textContent: r.name ?? r.playerId, title: r.playerId }),
      el("span", { className: "sub", textContent: "pending" }),
      button("Cancel", attempt("friends", async () => { await social.friends.decline(r.playerId); await reloadFriends(); })),
    )));
    if (!list.incoming.length && !list.outgoing.length) requests.append(el("li", { className: "empty", textContent: "No requests." }));
    $("friends-badge").textContent = list.incoming.length ? String(list.incoming.length) : "";

    const friends = $("friend-list");
    const inParty = new Set(party?.members.map((m) => m.playerId) ?? []);
    friends.replaceChildren(...friendsView().map((f) => el("li", { dataset: { playerId: f.playerId, status: f.status } },
      el("span", { className: "dot", dataset: { status: f.status } }),
      el("span", { className: "who", title: f.playerId }, f.name ?? f.playerId, el("br"), el("span", { className: "sub presence", textContent: presenceText(f) })),
      ...(inParty.has(f.playerId) ? [el("span", { className: "sub", textContent: "in party" })] : f.status === "offline" ? [] : [button("Invite", attempt("friends", async () => {
        if (!party) party = await social.party.create(null);
        party = await social.party.invite(f.playerId) ?? party;
        renderParty();
        note("friends", `invited ${f.name ?? f.playerId} to your party`);
      }))]),
    )));
    if (!list.friends.length) friends.append(el("li", { className: "empty", textContent: "No friends yet: add one by player id (open a second window and copy its id)." }));
  }

  $("friend-form").onsubmit = (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>("friend-id");
    const id = input.value.trim();
    if (!id) return;
    void attempt("friends", async () => {
      const result = await social.friends.request(id);
      input.value = "";
      note("friends", result === "requested" ? "request sent" : result === "accepted" ? "you are now friends" : "already friends");
      await reloadFriends();
    })();
  };

  // ---- party ------------------------------------------------------------------------------------
  /** A member's status: this tab knows its own; friends' come from live presence; others are unknown. */
  const memberStatus = (playerId: string): string => {
    if (playerId === me.playerId) return hooks.inMatch() ? "in_match" : queueing ? "in_queue" : connected ? "online" : "offline";
    return presence.get(playerId)?.status ?? "unknown";
  };
  const partyState = (): PartyState => {
    if (!party) return "none";
    if (queueing || party.queue) return "queueing";
    return party.members.some((m) => memberStatus(m.playerId) === "in_match") ? "in_match" : "ready";
  };
  const PARTY_STATE_TEXT: Record<PartyState, string> = { none: "", ready: "Ready to queue", queueing: "Queueing…", in_match: "In a match" };

  function renderParty(): void {
    $("party-none").hidden = party !== null;
    $("party-box").hidden = party === null;
    const leader = party?.leaderId === me.playerId;
    if (party) {
      const state = partyState();
      if (state !== "in_match" && $("party-note").textContent === "matched: good luck!") note("party", "");
      $("party-state").dataset.state = state;
      $("party-state").textContent = state === "queueing" && party.queue ? `Queueing for ${party.queue.mode}…` : state === "queueing" && queueing ? `Queueing for ${queueing.mode}…` : PARTY_STATE_TEXT[state];
      $("party-members").replaceChildren(...party.members.map((m) => el("li", { dataset: { playerId: m.playerId, leader: String(m.playerId === party!.leaderId), status: memberStatus(m.playerId) } },
        el("span", { className: "dot", dataset: { status: memberStatus(m.playerId) } }),
        el("span", { className: "who", title: STATUS_TEXT[memberStatus(m.playerId)] ?? "", textContent: `${m.name}${m.playerId === me.playerId ? " (you)" : ""}` }),
        el("span", { className: "sub", textContent: m.playerId === party!.leaderId ? "★ leader" : "" }),
      )), ...party.invited.map((id) => el("li", {},
        el("span", { className: "who sub", textContent: `${list.friends.find((f) => f.playerId === id)?.name ?? id}` }),
        el("span", { className: "sub", textContent: "invited" }),
      )));
      const q = $<HTMLButtonElement>("party-queue");
      q.textContent = queueing || party.queue ? "Cancel" : "Queue";
      // Queueing from a match is allowed: each tab leaves its room first (hooks.beforeQueue).
      q.disabled = !(queueing || party.queue) && !leader;
      q.title = leader ? (state === "in_match" ? "leaves the current match and queues the party" : "") : "only the leader starts queueing";
      $<HTMLSelectElement>("party-mode").disabled = !leader || Boolean(queueing || party.queue);
      if (party.queue && !queueing) note("party", `queueing for ${party.queue.mode}…`);
    }
    $("party-invites").replaceChildren(...[...invites.values()].map((i) => el("li", { dataset: { partyId: i.partyId } },
      el("span", { className: "who", textContent: `${i.fromName}'s party` }),
      button("Accept", attempt("party", async () => { invites.delete(i.partyId); party = await social.party.accept(i.partyId); renderAll(); }), true),
      button("Decline", attempt("party", async () => { invites.delete(i.partyId); renderParty(); await social.party.decline(i.partyId); })),
    )));
    if (!invites.size) $("party-invites").append(el("li", { className: "empty", textContent: "No invites." }));
    $("party-badge").textContent = invites.size ? String(invites.size) : "";
  }

  $("party-create").onclick = attempt("party", async () => { party = await social.party.create(null); renderAll(); });
  $("party-leave").onclick = attempt("party", async () => {
    queueing?.abort.abort();
    await social.party.leave();
    party = null;
    renderAll();
  });
  $("party-queue").onclick = attempt("party", async () => {
    if (queueing || party?.queue) {
      queueing?.abort.abort();
      await social.party.cancelQueue();
      return;
    }
    // The leader only asks; every member (this tab too) joins the queue on the `partyQueue` push.
    await social.party.queue($<HTMLSelectElement>("party-mode").value);
  });

  async function joinPartyQueue(e: { partyId: string; mode: string }): Promise<void> {
    if (queueing) return;
    const abort = new AbortController();
    queueing = { mode: e.mode, state: "joining", abort };
    note("party", `queueing for ${e.mode}…`);
    renderParty();
    try {
      await hooks.beforeQueue(e.mode);
      const room = await queue(rally, {
        mode: e.mode, partyId: e.partyId, signal: abort.signal,
        onStatus: (s) => { if (queueing) queueing.state = s.state; hooks.status(s); },
      });
      queueing = null;
      note("party", "matched: good luck!");
      hooks.seated(room);
    } catch (err) {
      queueing = null;
      const cancelled = abort.signal.aborted || (err instanceof RallyRoomError && /CANCELLED|LEFT/.test(err.code));
      note("party", `queue ended: ${describe(err)}`, cancelled ? "info" : "error");
      hooks.queueEnded(describe(err), cancelled);
    } finally {
      renderParty();
    }
  }

  // ---- relay ------------------------------------------------------------------------------------
  const logBox = $("relay-log");
  function log(text: string, from?: string): void {
    relayLog.push(from ? `${from}: ${text}` : text);
    const line = el("div", from ? {} : { className: "sys" });
    if (from) line.append(el("span", { className: "from", textContent: `${from}: ` }), text);
    else line.textContent = text;
    logBox.append(line);
    logBox.scrollTop = logBox.scrollHeight;
  }
  const peerName = (sessionId: string) => (peer?.room.state as { players?: Map<string, { name: string }> } | undefined)?.players?.get(sessionId)?.name || sessionId;
  const peerCount = () => (peer?.room.state as { players?: Map<string, unknown> } | undefined)?.players?.size ?? 0;

  function setRelay(session: PeerSession | null): void {
    peer = session;
    $("relay-session").hidden = !session;
    $("relay-shown-code").textContent = session?.code ?? "";
    for (const id of ["relay-text", "relay-send", "relay-ping"]) $<HTMLInputElement>(id).disabled = !session;
    for (const id of ["relay-host", "relay-join", "relay-code"]) $<HTMLInputElement>(id).disabled = Boolean(session);
    if (!session) return;
    const peers = () => { $("relay-peers").textContent = `${peerCount()} peer${peerCount() === 1 ? "" : "s"}`; };
    session.room.onStateChange(peers);
    peers();
    session.on("message", (type, from, data) => {
      const d = data as { text?: unknown; t?: unknown; pong?: unknown } | null;
      if (type === "chat" && typeof d?.text === "string") log(d.text, peerName(from));
      else if (type === "ping" && typeof d?.t === "number") { session.sendTo(from, { pong: d.t }); log(`ping from ${peerName(from)}`); }
      else if (type === "to" && typeof d?.pong === "number") log(`pong from ${peerName(from)}: ${Math.round(performance.now() - d.pong)} ms`);
    });
    session.on("host", (id) => log(`${id === session.sessionId ? "you are" : `${peerName(id)} is`} the host now`));
    session.on("ended", (reason) => { log(`session ended (${reason})`); setRelay(null); });
    session.on("error", (e) => log(`${e.code}: ${e.message}`));
    session.room.onLeave(() => { if (peer === session) { log("left the session"); setRelay(null); } });
  }

  const relayAttempt = (what: () => Promise<unknown>) => async () => {
    try {
      await what();
    } catch (e) {
      log(describe(e));
    }
  };
  $("relay-host").onclick = relayAttempt(async () => {
    const s = await relay.host({ migrateHost: true });
    setRelay(s);
    log(`hosting: share the code ${s.code}`);
  });
  $("relay-join").onclick = relayAttempt(async () => {
    const code = $<HTMLInputElement>("relay-code").value.trim().toUpperCase();
    if (!code) return;
    const s = await relay.join(code);
    setRelay(s);
    log(`joined ${code}`);
  });
  $("relay-leave").onclick = relayAttempt(async () => { const s = peer; setRelay(null); await s?.leave(); log("left the session"); });
  $("relay-form").onsubmit = (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>("relay-text");
    const text = input.value.trim();
    if (!peer || !text) return;
    peer.send("chat", { text });
    log(text, "you");
    input.value = "";
  };
  $("relay-ping").onclick = () => { peer?.send("ping", { t: performance.now() }); };

  // ---- social room ------------------------------------------------------------------------------
  function renderAll(): void {
    renderFriends();
    renderParty();
  }
  function setConnected(on: boolean): void {
    connected = on;
    $("social").dataset.social = on ? "online" : "offline";
    $("me-dot").dataset.status = on ? "online" : "offline";
  }

  social.on("snapshot", (s) => {
    list = s.friends;
    presence.clear();
    for (const f of list.friends) presence.set(f.playerId, { playerId: f.playerId, ...f.presence });
    party = s.party;
    renderAll();
  });
  social.on("presence", (p) => { presence.set(p.playerId, p); renderAll(); });
  social.on("friends", (e) => {
    const asked = list.outgoing.some((r) => r.playerId === e.playerId);
    void reloadFriends().then(() => {
      const name = e.name ?? list.friends.find((f) => f.playerId === e.playerId)?.name ?? list.incoming.find((r) => r.playerId === e.playerId)?.name ?? e.playerId;
      if (e.kind === "request") note("friends", `friend request from ${name}`);
      if (e.kind === "accepted" && asked) note("friends", `${name} accepted your request`);
    }).catch(() => undefined);
  });
  social.on("party", (p) => {
    party = p;
    if (p) invites.delete(p.partyId);
    renderAll();
  });
  social.on("partyInvite", (i) => {
    invites.set(i.partyId, i);
    note("party", `${i.fromName} invited you to a party`);
    renderParty();
    setTimeout(() => { if (invites.get(i.partyId) === i) { invites.delete(i.partyId); renderParty(); } }, Math.max(0, i.expiresAt - Date.now()));
  });
  social.on("partyQueue", (e) => void joinPartyQueue(e));
  social.on("partyQueueCancelled", (e) => {
    queueing?.abort.abort();
    note("party", `queue cancelled (${e.reason})`);
  });
  social.on("disconnected", () => setConnected(false));

  renderAll();
  social.connect().then(() => setConnected(true)).catch((e) => {
    setConnected(false);
    note("friends", `social unavailable: ${describe(e)}`, "error");
  });

  return {
    get connected() { return connected; },
    get friends() { return friendsView(); },
    get incoming() { return list.incoming.map((r) => r.playerId); },
    get party() { return party; },
    get invites() { return [...invites.keys()]; },
    get queue() { return queueing ? { mode: queueing.mode, state: queueing.state } : null; },
    get partyState() { return partyState(); },
    get members() { return party?.members.map((m) => ({ playerId: m.playerId, status: memberStatus(m.playerId) })) ?? []; },
    refresh: () => renderParty(),
    get relay() { return { code: peer?.code ?? null, peers: peerCount(), log: [...relayLog] }; },
  };
}
