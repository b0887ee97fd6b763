// `npm run dev`: migrates the local D1, makes sure the development API key and an encryption key
// exist, then serves the API on localhost:8787 until Ctrl-C.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { newEncryptionKey } from "./d1.mjs";
import { insertApiKeys } from "./local-server.mjs";
import { applyMigrations } from "./d1.mjs";
import { ROOT, spawnWrangler, stopGroup } from "./wrangler.mjs";

/** Documented in the README; only ever inserted into the local D1. */
export const DEV_API_KEY = "dev-api-key-change-me";
const PORT = process.env.PORT ?? "8787";

// The local keyring is made once and kept: secrets sealed under it must stay readable across runs.
const devVars = path.join(ROOT, ".dev.vars");
if (!existsSync(devVars) || !readFileSync(devVars, "utf8").includes("SECRET_ENCRYPTION_KEYS=")) {
  writeFileSync(devVars, `SECRET_ENCRYPTION_KEYS="${newEncryptionKey("dev")}"\n`, { flag: "a", mode: 0o600 });
  console.log("Created .dev.vars with a local encryption key (git-ignored).");
}

applyMigrations({});
insertApiKeys({ development: DEV_API_KEY }, {});
console.log(`\nLocal D1 migrated. Development API key: ${DEV_API_KEY}`);
console.log(`Try: curl 'http://localhost:${PORT}/createuser?api_key=${DEV_API_KEY}&email=alice@example.com&format=1'\n`);

const child = spawnWrangler(["dev", "--port", PORT, "--show-interactive-dev-session=false"], { stdio: "inherit" });
const stop = () => stopGroup(child).then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
child.on("exit", (code) => process.exit(code ?? 0));
