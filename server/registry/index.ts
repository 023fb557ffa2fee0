export { NodeState, pickNode, isAlive, type NodeEntry } from "./placement.ts";
export { createNodeRegistry, NodeHeartbeat, type NodeRegistry } from "./registry.ts";
