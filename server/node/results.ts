import type { MatchResultSink } from "../../rooms/index.ts";
import type { Store } from "../store/index.ts";

/** Until ratings and history land (later issues), a result is recorded in the store, once per matchId. */
export function createStoreResultSink(store: Store): MatchResultSink {
  return {
    async report(result) {
      await store.matches.record(result);
    },
  };
}
