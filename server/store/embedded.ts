/**
 * In-process store, optionally persisted to one JSON file in DATA_DIR. Every write replaces the
 * file atomically (write to a temp file, then rename), and writes are serialized, so a crash leaves
 * either the old or the new snapshot, never half of one. Fine for a dev node; production uses MongoDB.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MatchResult } from "../../rooms/index.ts";
import type { PlayerRecord, Store } from "./store.ts";

interface Snapshot {
  version: 1;
  players: PlayerRecord[];
  matches: MatchResult[];
}

const ADJECTIVES = ["Swift", "Brave", "Quiet", "Lucky", "Bold", "Clever", "Rapid", "Calm"];
const ANIMALS = ["Fox", "Otter", "Hawk", "Lynx", "Wolf", "Panda", "Heron", "Badger"];

function guestName(): string {
  const pick = (list: string[]) => list[Math.floor(Math.random() * list.length)];
  return `${pick(ADJECTIVES)}${pick(ANIMALS)}${Math.floor(Math.random() * 1000)}`;
}

export function createMemoryStore(): Promise<Store> {
  return createEmbeddedStore(null);
}

export function createFileStore(dataDir: string): Promise<Store> {
  return createEmbeddedStore(join(dataDir, "rally-store.json"));
}

async function createEmbeddedStore(file: string | null): Promise<Store> {
  const players = new Map<string, PlayerRecord>();
  const byDevice = new Map<string, Promise<PlayerRecord>>();
  const matches = new Map<string, MatchResult>();

  if (file) {
    await mkdir(join(file, ".."), { recursive: true });
    try {
      const snapshot = JSON.parse(await readFile(file, "utf8")) as Snapshot;
      for (const p of snapshot.players) {
        players.set(p.id, p);
        if (p.deviceId) byDevice.set(p.deviceId, Promise.resolve(p));
      }
      for (const m of snapshot.matches) matches.set(m.matchId, m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read store file ${file}: ${(e as Error).message}`);
    }
  }

  let writing: Promise<void> = Promise.resolve();
  function persist(): Promise<void> {
    if (!file) return Promise.resolve();
    const snapshot: Snapshot = { version: 1, players: [...players.values()], matches: [...matches.values()] };
    const next = writing.then(async () => {
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(snapshot));
      await rename(tmp, file);
    });
    writing = next.catch(() => undefined);
    return next;
  }

  return {
    players: {
      async guest(deviceId) {
        const known = deviceId ? byDevice.get(deviceId) : undefined;
        if (known) return known;
        const record: PlayerRecord = { id: randomUUID(), name: guestName(), createdAt: Date.now(), ...(deviceId ? { deviceId } : {}) };
        players.set(record.id, record);
        // Concurrent calls for the same device share this promise, so none sees a record before it is on disk.
        const saved = persist().then(() => record, (e: unknown) => {
          // Not on disk means not promised: forget it so memory and file agree.
          players.delete(record.id);
          if (deviceId) byDevice.delete(deviceId);
          throw e;
        });
        if (deviceId) byDevice.set(deviceId, saved);
        return saved;
      },
      async get(playerId) {
        return players.get(playerId) ?? null;
      },
    },
    matches: {
      async record(result) {
        if (matches.has(result.matchId)) return false;
        matches.set(result.matchId, structuredClone(result));
        try {
          await persist();
        } catch (e) {
          matches.delete(result.matchId);
          throw e;
        }
        return true;
      },
      async get(matchId) {
        const m = matches.get(matchId);
        return m ? structuredClone(m) : null;
      },
    },
    async close() {
      await writing;
    },
  };
}
