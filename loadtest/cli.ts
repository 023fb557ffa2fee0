/**
 * `npm run loadtest -- --players 300 --targets http://a:2567,http://b:2567` (or `--cluster 3`):
 * progress on stderr, one JSON summary line on stdout. Exit 2 on bad flags, 1 on a failed run.
 */
import { parseArgs, type LoadOptions } from "./options.ts";
import { runLoad } from "./run.ts";

let options: LoadOptions;
try {
  options = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`loadtest: ${(e as Error).message}\n`);
  process.exit(2);
}

try {
  const summary = await runLoad(options);
  process.stdout.write(JSON.stringify(summary) + "\n");
  process.exit(0);
} catch (e) {
  process.stderr.write(`loadtest failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
