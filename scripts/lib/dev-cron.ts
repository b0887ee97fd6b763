// wrangler dev does not fire Cron Triggers ("Miniflare does not currently trigger scheduled
// Workers automatically"): `npm run dev` starts it with --test-scheduled and fires wrangler.toml's
// local triggers itself, on their schedule, through the /__scheduled route that flag adds.
import { readWranglerConfig } from "./wrangler-config";

/**
 * Asks for the scheduled handler whenever a local cron matches the minute, as production would
 * (minute and hour fields: "*", "N" or "*\/N"; the others are always "*" in wrangler.toml).
 */
export async function fireOnSchedule(origin: string, log: (line: string) => void): Promise<void> {
  // The top-level triggers: the local configuration.
  const crons = (await readWranglerConfig()).triggers.crons ?? [];
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
