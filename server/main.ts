/** `npm start`: one Rally node. Config comes only from the environment (see server/config.ts). */
import { ConfigError, loadConfig } from "./config.ts";
import { ListenError, startGameNode } from "./node/index.ts";

try {
  const config = loadConfig();
  await startGameNode(config, { handleSignals: true });
} catch (e) {
  if (e instanceof ConfigError || e instanceof ListenError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
