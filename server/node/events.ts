/**
 * The node's own events, created before the services that react to them, so the composition root
 * builds everything in one pass with no forward references (`let matchmakerRef`, `let chatRef`).
 *
 * - `matchEnded`: a match room reported its one result. Listeners run in the order they subscribed:
 *   players first (result, ratings, rewards, stored or queued for retry in the outbox), then the
 *   matchmaker (its players may queue again). A `required` listener's failure reaches the room, which
 *   retries the report (the sinks are idempotent by matchId); any other listener's failure is logged.
 * - `resultStored`: the store took a result: each player's inbox gets its `match_result` notice.
 * - `notice`: a social event for a player's inbox (friend request, party invite).
 */
import type { MatchResult } from "../../rooms/index.ts";
import type { InboxKind } from "../store/index.ts";

export interface InboxNotice {
  readonly playerId: string;
  readonly kind: InboxKind;
  readonly data: Record<string, unknown>;
  /** An unread notice of the same kind whose data has these same fields is not repeated. */
  readonly sameAs?: readonly string[];
}

export interface NodeEventMap {
  matchEnded: MatchResult;
  resultStored: MatchResult;
  notice: InboxNotice;
}

type Listener<T> = { readonly name: string; readonly required: boolean; readonly run: (payload: T) => unknown };

export class NodeEvents<E extends object = NodeEventMap> {
  private readonly listeners = new Map<keyof E, Array<Listener<never>>>();

  constructor(private readonly onError: (err: unknown, event: string, listener: string) => void) {}

  /** Subscribes `run` under `name` (used in the failure log line). */
  on<K extends keyof E>(event: K, name: string, run: (payload: E[K]) => unknown, options: { required?: boolean } = {}): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ name, required: options.required ?? false, run } as unknown as Listener<never>);
    this.listeners.set(event, list);
  }

  /** Runs every listener in subscription order; rejects only when a `required` one fails (the rest did not run). */
  async emit<K extends keyof E>(event: K, payload: E[K]): Promise<void> {
    for (const listener of (this.listeners.get(event) ?? []) as unknown as Array<Listener<E[K]>>) {
      try {
        await listener.run(payload);
      } catch (err) {
        if (listener.required) throw err;
        this.onError(err, String(event), listener.name);
      }
    }
  }
}
