/**
 * Bundles the SDK for browsers (`dist/rally.js`, ESM, minified; its source map is written next to it for
 * developers but not linked from the bundle, and the node never serves it) and the demo page
 * script (`dist/demo.js`). The demo imports the SDK bundle at runtime instead of inlining a second copy,
 * so the page exercises exactly what a game would ship. `npm run build:sdk` runs this file.
 */
import { build, type BuildOptions, type Plugin } from "esbuild";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/**
 * The SDK, imported by the demo (`../index.ts`) or as `rally/sdk` by the arena example's client that the
 * demo bundles, resolves to the SDK bundle next to it at runtime: one copy of the SDK on the page.
 */
const sdkAsExternal: Plugin = {
  name: "rally-sdk-external",
  setup(b) {
    const external = { path: "./rally.js", external: true };
    b.onResolve({ filter: /^rally\/sdk$/ }, () => external);
    b.onResolve({ filter: /index\.ts$/ }, (args) => (resolve(args.resolveDir, args.path) === `${here}index.ts` ? external : undefined));
  },
};

export async function buildSdk(options: { quiet?: boolean } = {}): Promise<{ outdir: string }> {
  const outdir = `${here}dist`;
  const common: BuildOptions = {
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022", "chrome100", "firefox100", "safari15"],
    minify: true,
    sourcemap: "external",
    legalComments: "none",
    logLevel: options.quiet ? "warning" : "info",
  };
  await Promise.all([
    build({ ...common, entryPoints: { rally: `${here}index.ts` }, outdir }),
    build({ ...common, entryPoints: { demo: `${here}demo/demo.ts` }, outdir, plugins: [sdkAsExternal] }),
  ]);
  return { outdir };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildSdk();
}
