// autocannon 9 ships no type declarations: these are the parts the bench uses (lib/run.js).
declare module "autocannon" {
  interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  interface Request extends RequestParams {
    /** Called before every request; what it returns is sent. */
    setupRequest?: (request: RequestParams) => RequestParams;
    /** Called with every response; header names as the server sent them. */
    onResponse?: (status: number, body: string, context: unknown, headers: Record<string, string | string[]>) => void;
  }

  interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Stop after this many requests instead of after `duration`. */
    amount?: number;
    pipelining?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    requests?: Request[];
    /** Whether a response body is the expected one; a false counts as a mismatch. */
    verifyBody?: (body: string) => boolean;
  }

  interface Result {
    /** Connection errors, timeouts included. */
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
  }

  interface Instance extends PromiseLike<Result> {
    /** responseTime in ms, with sub-millisecond precision. */
    on(event: "response", listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
  }

  export default function autocannon(options: Options): Instance;
}
