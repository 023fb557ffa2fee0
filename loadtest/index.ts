/**
 * Rally's load and chaos tools (see README.md here). `npm run loadtest` -> cli.ts, `npm run chaos` ->
 * chaos-cli.ts; tests and other tools use these functions.
 */
export { parseArgs, validate, loadOptionsSchema, phases, targetAt, totalSeconds, type LoadOptions, type LoadOptionsInput, type Phase } from "./options.ts";
export { runLoad, type LoadSummary } from "./run.ts";
export { LoadDriver, type SecondPoint } from "./driver.ts";
export { runChaos, chaosOptionsSchema, FAULTS, type ChaosOptions, type ChaosReport, type FaultName, type FaultReport } from "./chaos.ts";
export { startCluster, RedisServer, LOAD_ENV, type ClusterNode, type ClusterOptions, type LocalCluster } from "./cluster.ts";
export { startPostgres, postgresBinDir, type PostgresHandle, type PostgresInstance, type PostgresOptions } from "./postgres.ts";
export { MetricsPoller, parseMetrics, readMetrics, type NodeSummary } from "./metrics.ts";
export { renderChart, writeChart } from "./chart.ts";
export { distribution, percentile, type Distribution } from "./stats.ts";
