import { ApiError, HttpError } from "../errors";
import { utf8 } from "../crypto/encoding";

export const MAX_INPUT_BYTES = 8 * 1024;
export const MAX_VALUE_BYTES = 1024;

/**
 * The request's parameters: the query string, then an urlencoded POST body on top (the WordPress
 * plugin POSTs with everything in the query string). As in PHP, a repeated name keeps its last value.
 */
export class Params {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  static async fromRequest(request: Request): Promise<Params> {
    const url = new URL(request.url);
    if (utf8.encode(url.search).length > MAX_INPUT_BYTES + 1) throw tooLarge();
    const values = new Map<string, string>();
    for (const [name, value] of new URLSearchParams(url.search)) values.set(name, value);
    if (request.method === "POST" && request.body) {
      const body = await readLimited(request, MAX_INPUT_BYTES);
      const type = request.headers.get("content-type") ?? "";
      if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
        for (const [name, value] of new URLSearchParams(body)) values.set(name, value);
      }
    }
    return new Params(values);
  }

  /** A parameter's value, or undefined. Oversized values are refused, never truncated. */
  get(name: string): string | undefined {
    const value = this.values.get(name);
    if (value !== undefined && utf8.encode(value).length > MAX_VALUE_BYTES) throw ApiError.invalid(name);
    return value;
  }

  /** The first of several accepted spellings that is present (e.g. `api_key` and `api`). */
  first(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  }
}

function tooLarge(): HttpError {
  return new HttpError(413, "Payload Too Large");
}

/** Reads at most `limit` bytes and refuses the rest, whatever Content-Length claims. */
async function readLimited(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
