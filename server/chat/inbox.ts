/**
 * The inbox: notifications a player reads when it comes online (friend requests, party invites,
 * match results, admin messages), stored through `Store.inbox`, with an unread count. A new item is
 * also pushed live to the player's `social` room (`inbox` `{ item, unread }`), and reading items on
 * one device tells the others (`inbox.unread` `{ unread }`). Adds are idempotent by id: a keyed
 * notification (a match result) lands once however often it is reported.
 */
import type { InboxItem, InboxKind, Store } from "../store/index.ts";
import { SocialEvent, type SocialBus } from "../social/index.ts";
import { chatId } from "./ids.ts";

/** How many of the newest unread items a `sameAs` notify looks through for a duplicate. */
const DUPLICATE_SCAN = 50;

export interface InboxPage {
  readonly items: InboxItem[];
  readonly unread: number;
  readonly nextCursor: string | null;
}

export class InboxService {
  private readonly now: () => number;

  constructor(private readonly store: Store, private readonly bus: SocialBus, now?: () => number) {
    this.now = now ?? Date.now;
  }

  /**
   * Stores and pushes one notification. `key` (with a fixed `at`) makes it idempotent: a second
   * notify of the same key and time changes nothing. `sameAs` names data fields that make an unread
   * item of the same kind a duplicate (a friend asking twice, a re-sent party invite): then nothing is
   * added. Returns null when nothing was added.
   */
  async notify(playerId: string, kind: InboxKind, data: Record<string, unknown>, options: { key?: string; at?: number; sameAs?: readonly string[] } = {}): Promise<InboxItem | null> {
    const { key, at = this.now(), sameAs } = options;
    if (sameAs?.length) {
      const unread = await this.store.inbox.list(playerId, { limit: DUPLICATE_SCAN, unreadOnly: true });
      if (unread.some((i) => i.kind === kind && sameAs.every((f) => i.data[f] === data[f]))) return null;
    }
    const item: InboxItem = { id: chatId(at, key === undefined ? undefined : `${playerId}\u0000${key}`), playerId, kind, data, at, readAt: null };
    if (!(await this.store.inbox.add(item))) return null;
    this.bus.toPlayer(playerId, SocialEvent.INBOX, { item, unread: await this.store.inbox.unread(playerId) });
    return item;
  }

  async list(playerId: string, page: { limit: number; before?: string; unreadOnly?: boolean }): Promise<InboxPage> {
    const [items, unread] = await Promise.all([this.store.inbox.list(playerId, page), this.store.inbox.unread(playerId)]);
    return { items, unread, nextCursor: items.length === page.limit ? items.at(-1)!.id : null };
  }

  unread(playerId: string): Promise<number> {
    return this.store.inbox.unread(playerId);
  }

  async read(playerId: string, ids: readonly string[] | "all"): Promise<{ marked: number; unread: number }> {
    const marked = await this.store.inbox.markRead(playerId, ids, this.now());
    const unread = await this.store.inbox.unread(playerId);
    if (marked > 0) this.bus.toPlayer(playerId, SocialEvent.INBOX_UNREAD, { unread });
    return { marked, unread };
  }
}
