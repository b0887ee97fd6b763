import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { exportPage } from "../../db/user-export";
import { csvLine } from "../../formats/csv";
import { utcText } from "../../web/when";
import { lockSummary } from "./users-list";

/** Rows per D1 read: 100,000 users are 100 round trips, each a range of the primary key. */
const EXPORT_PAGE = 1000;
const HEADER = ["userid", "username", "created", "confirmed", "last success", "locked", "token type"];

const time = (seconds: number | null) => (seconds === null ? "" : utcText(seconds * 1000));

/**
 * All users as CSV, streamed: each pull reads the next page by userid (a keyset, never OFFSET),
 * so memory stays one page however many users there are. Times are UTC as on every page.
 */
export function usersCsv(c: Context<AppEnv>): Response {
  const deps = c.var.deps;
  const nowMs = deps.now();
  const encoder = new TextEncoder();
  let afterId = 0;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvLine(HEADER)));
      }
      const rows = await exportPage(deps.db, afterId, EXPORT_PAGE);
      const text = rows.map((row) => {
        return csvLine([
          String(row.id),
          row.username,
          time(row.createdAt),
          time(row.confirmedAt),
          time(row.lastSuccessAt),
          lockSummary(row, nowMs),
          row.tokenSerial === null ? "app" : "hardware",
        ]);
      });
      if (text.length > 0) controller.enqueue(encoder.encode(text.join("")));
      if (rows.length < EXPORT_PAGE) controller.close();
      else afterId = rows[rows.length - 1]!.id;
    },
  });
  const day = utcText(nowMs).slice(0, 10);
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="users-${day}.csv"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
