// wrangler dev does not fire Cron Triggers ("Miniflare does not currently trigger scheduled
// Workers automatically"): `npm run dev` starts it with --test-scheduled and fires wrangler.toml's
// local triggers itself, on their schedule, through the /__scheduled route that flag adds.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./wrangler";

/** The top-level `[triggers]` crons of wrangler.toml (the local configuration). */
export function localCrons(toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")): string[] {
  const list = /^\[triggers\]\s*\ncrons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/**
 * Asks for the scheduled handler whenever a local cron matches the minute, as production would
 * (minute and hour fields: "*", "N" or "*\/N"; the others are always "*" in wrangler.toml).
 */
export function fireOnSchedule(origin: string, log: (line: string) => void): void {
  const crons = localCrons();
  const matches = (field: string, value: number) =>
    field === "*" || (field.startsWith("*/") ? value % Number(field.slice(2)) === 0 : Number(field) === value);
  const fire = async (cron: string) => {
    try {
      const res = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent(cron)}`);
      if (!res.ok) log(`scheduled run (${cron}) answered HTTP ${res.status}`);
    } catch (error) {
      log(`scheduled run (${cron}) failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const arm = () => {
    // At the start of each minute, like Cloudflare's scheduler.
    const now = Date.now();
    setTimeout(
      () => {
        const at = new Date();
        for (const cron of crons) {
          const [minute = "", hour = ""] = cron.split(" ");
          if (matches(minute, at.getUTCMinutes()) && matches(hour, at.getUTCHours())) void fire(cron);
        }
        arm();
      },
      60_000 - (now % 60_000) + 500,
    ).unref();
  };
  arm();
}
