/**
 * Issue 12, deploy items: the shipped compose file trusts exactly its nginx for the client address
 * (8), and the demo serves built assets only, never TypeScript sources or source maps (22).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildSdk } from "../../client-sdk/build.ts";
import { loadConfig } from "../../server/config.ts";
import type { TestNode } from "../support/rooms.ts";
import { guest, startSecurityNode } from "../support/security-http.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

describe("security: deploy defaults", function () {
  this.timeout(60_000);

  describe("8. docker/compose.yml behind its nginx", () => {
    const compose = readFileSync(`${repoRoot}docker/compose.yml`, "utf8");
    const nginx = readFileSync(`${repoRoot}docker/nginx.conf`, "utf8");

    it("every game node gets TRUST_PROXY for the one nginx hop (a valid value), and nginx appends the client address", () => {
      const anchor = /x-node-env: &node-env\n((?: {2}.*\n)+)/.exec(compose)?.[1] ?? "";
      const value = /^ {2}TRUST_PROXY: "?([^"\n]+)"?$/m.exec(anchor)?.[1];
      assert.ok(value, "TRUST_PROXY is set in the shared node environment");
      assert.notEqual(value, "false");
      assert.equal(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY, 1, "exactly one trusted hop");
      for (const node of ["node-eu-1", "node-eu-2", "node-us-1"]) {
        const block = new RegExp(`\\n  ${node}:\\n((?: {4}.*\\n)+)`).exec(compose)?.[1] ?? "";
        assert.match(block, /<<: \*node-env/, `${node} uses the shared node environment`);
        assert.doesNotMatch(block, /TRUST_PROXY/, `${node} does not override it`);
        assert.doesNotMatch(block, /ports:/, `${node}'s port is not published around the proxy`);
      }
      assert.match(nginx, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    });

    it("with the compose file's TRUST_PROXY a node's per-address limit counts the client nginx names, not the proxy", async () => {
      const value = /^ {2}TRUST_PROXY: "?([^"\n]+)"?$/m.exec(compose)?.[1];
      assert.ok(value, "compose sets TRUST_PROXY");
      const t = await startSecurityNode({ TRUST_PROXY: value, AUTH_RATE_PER_MIN: "3" });
      try {
        const from = (ip: string) => fetch(`${t.url}/v1/auth/guest`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": ip }, body: "{}" });
        const a = [];
        for (let i = 0; i < 4; i++) a.push((await from("203.0.113.7")).status);
        assert.deepEqual(a, [200, 200, 200, 429]);
        assert.equal((await from("198.51.100.9")).status, 200, "another player behind the same proxy is not limited");
      } finally {
        await t.close();
      }
    });
  });

  describe("22. the demo serves built assets only", () => {
    let t: TestNode;
    before(async () => {
      await buildSdk({ quiet: true });
      t = await startSecurityNode({ SERVE_DEMO: "true" });
    });
    after(async () => { await t?.close(); });

    it("serves the page and the built bundles, never TypeScript sources or source maps", async () => {
      const page = await fetch(`${t.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script type="module" src="\/demo.js">/);
      for (const path of ["/index.html", "/demo.js", "/rally.js"]) assert.equal((await fetch(`${t.url}${path}`)).status, 200, path);
      assert.ok((await guest(t.url)).token, "the API still works next to the demo");
      for (const path of ["/demo.ts", "/social.ts", "/rally.js.map", "/demo.js.map", "/DEMO.TS", "/demo.ts?x=1", "/./demo.ts", "/%64emo.ts"]) {
        const res = await fetch(`${t.url}${path}`);
        const body = await res.text();
        assert.notEqual(res.status, 200, `${path} was served`);
        assert.doesNotMatch(body, /import |sourceMappingURL|"mappings"/, `${path} leaked source`);
      }
      const js = await (await fetch(`${t.url}/rally.js`)).text();
      assert.doesNotMatch(js, /sourceMappingURL=/, "the bundle does not point at a map");
    });
  });
});
