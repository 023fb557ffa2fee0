/**
 * `npm run chaos -- [--store postgres] [--players 120] [--faults leader-kill,drain]`: scripted faults
 * against a local 3-node cluster under load; progress on stderr, the JSON report on stdout.
 * Exit 0 when no fault failed, 1 when one did (or the run broke), 2 on bad flags.
 */
import { chaosOptionsSchema, runChaos, type ChaosOptions } from "./chaos.ts";
import { parseFlags, validate } from "./options.ts";

let options: ChaosOptions;
try {
  options = validate(chaosOptionsSchema, parseFlags(process.argv.slice(2), new Set(["faults"])));
} catch (e) {
  process.stderr.write(`chaos: ${(e as Error).message}\n`);
  process.exit(2);
}

try {
  const report = await runChaos(options);
  process.stdout.write(JSON.stringify(report) + "\n");
  process.exit(report.pass ? 0 : 1);
} catch (e) {
  process.stderr.write(`chaos failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
