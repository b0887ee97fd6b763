// The one date format of every page (console, portal, audit trail): UTC to the second, so that
// admins in different zones read the same time and a lock "until 12:00" is never a minute early.

/** Unix milliseconds as "2026-01-01 12:00:05 UTC"; a value that is no date is shown as it is. */
export function utcText(ms: number): string {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? `${date.toISOString().slice(0, 19).replace("T", " ")} UTC` : String(ms);
}

/** A time in a <time> element: the text above, and the ISO form for machines. */
export function When({ ms }: { ms: number }) {
  const date = new Date(ms);
  if (!Number.isFinite(date.getTime())) return <>{String(ms)}</>;
  return <time datetime={date.toISOString()}>{utcText(ms)}</time>;
}
