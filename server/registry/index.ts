export { NodeState, pickNode, isAlive, loadScore, defaultPlacementRule, PendingPlacements, type NodeEntry, type NodeLoad, type PlacementRule } from "./placement.ts";
export { LoadMeter } from "./load.ts";
export { createNodeRegistry, NodeHeartbeat, type NodeRegistry } from "./registry.ts";
export { LiveNodeView } from "./live-view.ts";
export { createNodeCommands, createPoolLimitsStore, readQueueWaits, cleanupDeadNode, QUEUE_WAIT_KEY, type NodeCommands, type PoolLimitsStore, type LimitOverride } from "./commands.ts";
export { DeadNodeReaper, cleanupNodeRooms, REAPER_LEASE, type DeadNodeReaperOptions, type ReaperLease, type ReaperGrant, type ReleaseStep } from "./reaper.ts";
