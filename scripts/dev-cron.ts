// wrangler dev does not fire Cron Triggers ("Miniflare does not currently trigger scheduled
// Workers automatically"): `npm run dev` starts it with --test-scheduled and fires wrangler.toml's
// local trigger itself, on its schedule, through the /__scheduled route that flag adds.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./wrangler";

/** The top-level `[triggers]` cron of wrangler.toml: an hourly "M * * * *" (the only form this runner knows). */
export function localCron(toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")): { cron: string; minute: number } {
  const match = /^\[triggers\]\s*\ncrons = \["(([0-9]{1,2}) \* \* \* \*)"\]/m.exec(toml);
  if (!match || Number(match[2]) > 59) throw new Error('wrangler.toml: the top-level [triggers] must be crons = ["M * * * *"] (hourly)');
  return { cron: match[1]!, minute: Number(match[2]) };
}

/** Fires the local trigger at its minute of every hour until the process ends. */
export function fireOnSchedule(origin: string, log: (line: string) => void): void {
  const { cron, minute } = localCron();
  const arm = () => {
    const now = new Date();
    const next = new Date(now);
    next.setUTCMinutes(minute, 0, 0);
    if (next <= now) next.setUTCHours(next.getUTCHours() + 1);
    setTimeout(async () => {
      try {
        const res = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent(cron)}`);
        if (!res.ok) log(`scheduled run (${cron}) answered HTTP ${res.status}`);
      } catch (error) {
        log(`scheduled run (${cron}) failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      arm();
    }, next.getTime() - now.getTime()).unref();
  };
  arm();
}
