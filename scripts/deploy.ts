// npm run deploy [-- --env NAME] [--dry-run [--outdir DIR]] [--allow-request-origin]
// Applies the D1 migrations to the environment's remote database, then deploys the Worker.
// --dry-run only builds the bundle (offline, no login needed) and reports its size.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { messageOf, runIfEntryPoint } from "./lib/cli";
import { targetArgs } from "./lib/d1";
import { ROOT, wrangler } from "./lib/wrangler";
import { readWranglerConfig } from "./lib/wrangler-config";

/** Workers' limit on the compressed Worker on the Free plan (the Paid plan allows 10 MiB). */
export const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;
const PLACEHOLDER_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;

const USAGE = `usage: npm run deploy [-- options]
  --env NAME      the wrangler.toml environment to deploy (default: production)
  --dry-run       build the bundle into --outdir (default: dist) and stop: no login, no network
  --outdir DIR    where --dry-run writes the bundle
  --allow-request-origin   deploy production without PUBLIC_ORIGIN (hashqr then follows the Host header)
Without --dry-run: applies the migrations to the environment's remote D1, then \`wrangler deploy --env NAME\`.
See DEPLOY.md for the whole procedure.`;

interface BundleOptions {
  /** A wrangler.toml environment (default: production). */
  env?: string;
  /** Emptied, then filled with the bundle (default: dist/). */
  outdir?: string;
}

export interface Bundle {
  outdir: string;
  /** The uploaded modules: .js, .mjs and .wasm (source maps are not uploaded). */
  files: string[];
  rawBytes: number;
  gzipBytes: number;
}

/**
 * Builds the deployable bundle exactly as `wrangler deploy` would, without uploading it, and
 * returns its files and their gzip size.
 */
export function buildBundle({ env = "production", outdir = path.join(ROOT, "dist") }: BundleOptions = {}): Bundle {
  rmSync(outdir, { recursive: true, force: true });
  wrangler(["deploy", "--dry-run", "--outdir", outdir, "--env", env]);
  const files = readdirSync(outdir)
    .filter((name) => /\.(m?js|wasm)$/.test(name))
    .map((name) => path.join(outdir, name));
  const gzipBytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0);
  const rawBytes = files.reduce((sum, file) => sum + readFileSync(file).length, 0);
  return { outdir, files, rawBytes, gzipBytes };
}

interface DeployChecks {
  /** --allow-request-origin: production may take hashqr's origin from each request's Host header. */
  allowRequestOrigin?: boolean;
}

/** Why this environment cannot be deployed yet, or null. Checked before anything touches the network. */
export async function configProblem(env: string, configPath?: string, checks: DeployChecks = {}): Promise<string | null> {
  const config = await readWranglerConfig(env, configPath);
  const db = config.d1_databases.find((binding) => binding.binding === "DB");
  if (!db) return `wrangler.toml has no D1 binding "DB" for --env ${env}: add a [[env.${env}.d1_databases]] section (DEPLOY.md).`;
  if (!db.database_id || PLACEHOLDER_ID.test(db.database_id)) {
    return [
      `The D1 database_id of --env ${env} in wrangler.toml is still the placeholder.`,
      `Create the database and copy its id into [[env.${env}.d1_databases]]:`,
      `  npx wrangler d1 create ${db.database_name}`,
      `(\`npx wrangler d1 list\` shows the id of an existing one.) See DEPLOY.md.`,
    ].join("\n");
  }
  // Without it hashqr follows the Host header: a forged Host would point clients' QR codes elsewhere.
  if (env === "production" && !config.vars.PUBLIC_ORIGIN && !checks.allowRequestOrigin) {
    return [
      `[env.production.vars] in wrangler.toml has no PUBLIC_ORIGIN: hashqr URLs would take their origin from each`,
      `request's Host header, which a client can forge. Set PUBLIC_ORIGIN = "https://your.host" (DEPLOY.md, "Custom domain"),`,
      `or deploy with --allow-request-origin to accept that.`,
    ].join("\n");
  }
  return null;
}

function isLoggedIn(): boolean {
  // whoami exits 0 either way; an API token in CLOUDFLARE_API_TOKEN counts as logged in too.
  return !/not authenticated/i.test(wrangler(["whoami"]));
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function parse() {
  try {
    return parseArgs({
      options: {
        env: { type: "string", default: "production" },
        "dry-run": { type: "boolean", default: false },
        outdir: { type: "string" },
        "allow-request-origin": { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    console.error(`${messageOf(error)}\n\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const values = parse();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = values.env;

  if (values["dry-run"]) {
    const bundle = buildBundle({ env, outdir: values.outdir ? path.resolve(values.outdir) : undefined });
    console.log(
      `Bundle for --env ${env} in ${path.relative(process.cwd(), bundle.outdir) || "."}: ${kib(bundle.rawBytes)}, gzip ${kib(bundle.gzipBytes)} (Free plan limit ${kib(FREE_PLAN_GZIP_LIMIT)}).`,
    );
    return;
  }

  const problem = await configProblem(env, undefined, { allowRequestOrigin: values["allow-request-origin"] });
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  if (!isLoggedIn()) {
    console.error(
      "wrangler is not logged in to Cloudflare. Run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then `npm run deploy` again.",
    );
    process.exit(1);
  }
  console.log(`Applying migrations to the remote D1 of --env ${env}…`);
  wrangler(["d1", "migrations", "apply", "DB", ...targetArgs({ remote: true, env })], { quiet: false });
  console.log(`Deploying the Worker (--env ${env})…`);
  wrangler(["deploy", "--env", env], { quiet: false });
  console.log(
    [
      "",
      "Deployed. If this is the first deployment, also:",
      `  npx wrangler secret put SECRET_ENCRYPTION_KEYS --env ${env}   (DEPLOY.md shows how to make a key)`,
      `  npm run apikey -- create --remote --env ${env} --label first-client`,
      `Logs: npx wrangler tail --env ${env}`,
    ].join("\n"),
  );
}

runIfEntryPoint(import.meta.url, main);
