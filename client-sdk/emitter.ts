/** A minimal typed event emitter (the SDK's own signals are per-event; this keeps one `on` for a handle). */
// `never[]` accepts any listener signature without widening to `any`.
export type EventMap = Record<string, (...args: never[]) => void>;

export class Emitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Set<E[keyof E]>>();

  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, listener: E[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as (...a: Parameters<E[K]>) => void)(...args);
      } catch (e) {
        // One broken listener must not stop the others (or the SDK's message loop).
        console.error(`rally: "${String(event)}" listener threw`, e);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
