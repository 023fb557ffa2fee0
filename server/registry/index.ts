export { NodeState, pickNode, isAlive, type NodeEntry } from "./placement.ts";
export { createNodeRegistry, NodeHeartbeat, type NodeRegistry } from "./registry.ts";
export { createNodeCommands, createPoolLimitsStore, readQueueWaits, cleanupDeadNode, QUEUE_WAIT_KEY, type NodeCommands, type PoolLimitsStore, type LimitOverride } from "./commands.ts";
