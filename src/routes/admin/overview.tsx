import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { type Bucket, readConsoleOverview, VALIDATION_OUTCOMES, type ValidationOutcome } from "../../domain/overview";
import { type ChartSeries, StackedBars } from "../../web/chart";
import { renderPage } from "../../web/render";
import { VisibleName } from "../../web/visible-name";
import { When, utcText } from "../../web/when";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/** The console's home: totals, validations by outcome over time, and who is locked out now. */
export const overviewPages = new Hono<AppEnv>();

const SERIES: ChartSeries<ValidationOutcome>[] = [
  { key: "valid", label: "valid", colour: "#2a7d3f" },
  { key: "invalid", label: "not valid", colour: "#d08000" },
  { key: "locked", label: "locked", colour: "#b22222" },
  { key: "replay", label: "replayed", colour: "#5b5bb8" },
];

const hourLabel = (ms: number) => utcText(ms).slice(0, 16);
const dayLabel = (ms: number) => utcText(ms).slice(0, 10);

/** The chart's numbers as a table: for screen readers, and for copying into a report. */
function CountsTable({ buckets, label, caption }: { buckets: Bucket[]; label: (ms: number) => string; caption: string }) {
  return (
    <details>
      <summary>{caption}</summary>
      <table>
        <thead>
          <tr>
            <th>Start (UTC)</th>
            {SERIES.map((s) => (
              <th>{s.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {buckets.map((b) => (
            <tr>
              <td data-label="Start">{label(b.startMs)}</td>
              {VALIDATION_OUTCOMES.map((o) => (
                <td data-label={SERIES.find((s) => s.key === o)!.label}>{String(b.counts[o])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Chart({ title, buckets, label }: { title: string; buckets: Bucket[]; label: (ms: number) => string }) {
  return (
    <>
      <StackedBars title={title} series={SERIES} bars={buckets.map((b) => ({ label: label(b.startMs), values: b.counts }))} />
      <CountsTable buckets={buckets} label={label} caption={`${title}: the numbers`} />
    </>
  );
}

overviewPages.get("/", async (c) => {
  const session = c.var.session!;
  const { totals, hours, days, locks } = await readConsoleOverview(c.var.deps);
  const figures: [string, number, string?][] = [
    ["Users", totals.users, ADMIN_PATHS.users],
    ["Confirmed", totals.confirmed],
    ["Not yet confirmed", totals.users - totals.confirmed, `${ADMIN_PATHS.users}?unconfirmed=1`],
    ["Imported", totals.imported, `${ADMIN_PATHS.users}?imported=1`],
    ["Codes locked now", totals.codesLocked, `${ADMIN_PATHS.users}?locked=1`],
    ["Portal locked now", totals.portalLocked, `${ADMIN_PATHS.users}?portal-locked=1`],
  ];
  return renderPage(
    c,
    <AdminPage title="Overview" session={session}>
      <ul class="totals">
        {figures.map(([name, value, href]) => (
          <li>
            <strong data-total={name}>{value.toLocaleString("en")}</strong>
            {href ? <a href={href}>{name}</a> : name}
          </li>
        ))}
      </ul>
      <h2>Validations, last 48 hours</h2>
      <p class="muted">Answers of /validate by hour (UTC), as counted in validate's own writes (docs/console.md, "Overview").</p>
      <Chart title="Validations per hour" buckets={hours} label={hourLabel} />
      <h2>Validations, last 90 days</h2>
      <Chart title="Validations per day" buckets={days} label={dayLabel} />
      <h2>Locked out now</h2>
      {locks.length === 0 ? (
        <p>Nobody's codes are locked.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Userid</th>
              <th>Username</th>
              <th>Locked until</th>
            </tr>
          </thead>
          <tbody>
            {locks.map((lock) => (
              <tr>
                <td data-label="Userid">{String(lock.id)}</td>
                <td data-label="Username">
                  <a href={ADMIN_PATHS.user(lock.id)}>
                    <VisibleName name={lock.username} />
                  </a>
                </td>
                <td data-label="Locked until">
                  <When ms={lock.lockedUntil} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminPage>,
  );
});
