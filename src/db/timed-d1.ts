/**
 * The D1 round trips of one request, counted where they happen: at the binding. At the edge each
 * one is a network hop from the Worker's colo to the database, so their number decides latency
 * more than CPU does; `Server-Timing` reports them (src/http/server-timing.ts).
 */
export class RoundTrips {
  count = 0;
  /** Summed time from sending each round trip to its answer, in ms (the Worker's clock, which moves across I/O). */
  ms = 0;
  /** Reads of copies in the data center (src/db/user-copies.ts): no trip to the database, counted apart. */
  near = 0;
  nearMs = 0;

  async time<T>(trip: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await trip();
    } finally {
      this.count++;
      this.ms += performance.now() - started;
    }
  }

  async timeNear<T>(read: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await read();
    } finally {
      this.near++;
      this.nearMs += performance.now() - started;
    }
  }
}

/** What drizzle's D1 driver calls (only these two): a D1Database and a Sessions API D1DatabaseSession both have them. */
export type D1Queryable = Pick<D1Database, "prepare" | "batch">;

/** A statement whose runs are round trips; `inner` is what a batch sends. */
class TimedStatement implements D1PreparedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly trips: RoundTrips,
  ) {}

  bind(...values: unknown[]): D1PreparedStatement {
    return new TimedStatement(this.inner.bind(...values), this.trips);
  }

  first<T = unknown>(colName: string): Promise<T | null>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  first<T>(colName?: string): Promise<T | null> {
    return this.trips.time(() => (colName === undefined ? this.inner.first<T>() : this.inner.first<T>(colName)));
  }

  run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.trips.time(() => this.inner.run<T>());
  }

  all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.trips.time(() => this.inner.all<T>());
  }

  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
  raw<T>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    return this.trips.time<T[] | [string[], ...T[]]>(() =>
      options?.columnNames ? this.inner.raw<T>({ columnNames: true }) : this.inner.raw<T>(),
    );
  }
}

/** `d1` (a binding or a session) with every statement run and every batch recorded in `trips`. */
export function timedD1(d1: D1Queryable, trips: RoundTrips): D1Queryable {
  return {
    prepare: (query) => new TimedStatement(d1.prepare(query), trips),
    batch: <T>(statements: D1PreparedStatement[]) =>
      trips.time(() => d1.batch<T>(statements.map((s) => (s instanceof TimedStatement ? s.inner : s)))),
  };
}
