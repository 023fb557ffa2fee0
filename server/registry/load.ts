/**
 * What a node measures of itself for placement: process CPU and event-loop delay since the previous
 * reading. Nothing runs until `start()`.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { NodeLoad } from "./placement.ts";

export class LoadMeter {
  private histogram: IntervalHistogram | null = null;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  /** Samples the event loop every 100 ms (10 wakeups a second on an idle node; a stall still shows in full). */
  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: 100 });
    this.histogram.enable();
    this.lastCpu = process.cpuUsage();
    this.lastAt = performance.now();
  }

  /** Load since the previous call (or since `start`), then starts a new interval. */
  read(): NodeLoad {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const wallUs = Math.max(1, (now - this.lastAt) * 1000);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    let lagMs = 0;
    if (this.histogram && this.histogram.count > 0) {
      // The histogram holds timer delays including the 100 ms resolution itself.
      lagMs = Math.max(0, this.histogram.percentile(99) / 1e6 - 100);
      this.histogram.reset();
    }
    return { cpu: round((cpu.user + cpu.system) / wallUs), lagMs: round(lagMs) };
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = null;
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
