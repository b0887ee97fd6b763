import { ApiError, HttpError } from "../errors";
import type { Format } from "../formats/fields";

export const MAX_INPUT_BYTES = 8 * 1024;
export const MAX_VALUE_BYTES = 1024;

const utf8 = new TextEncoder();

/**
 * A value that cannot be a parameter (a multipart file, a JSON `true`, `null`, array or object):
 * refused as `invalid parameter: NAME` when, and only when, the handler reads that name, so an
 * unknown parameter stays ignored whatever its shape.
 */
const UNUSABLE = Symbol("unusable value");
type Value = string | typeof UNUSABLE;

/**
 * The request's parameters: the query string, then a POST body on top, so that a name in both
 * keeps the body's value (as in PHP, a repeated name keeps its last value). The WordPress plugin
 * POSTs with everything in the query string and an empty body; PHP's curl sends an array as
 * multipart/form-data; JavaScript and Python clients often send JSON.
 */
export class Params {
  private constructor(
    private readonly values: ReadonlyMap<string, Value>,
    private readonly keyHeader: string | undefined,
  ) {}

  static async fromRequest(request: Request): Promise<Params> {
    const url = new URL(request.url);
    if (utf8.encode(url.search).length > MAX_INPUT_BYTES + 1) throw HttpError.tooLarge();
    const values = new Map<string, Value>();
    for (const [name, value] of new URLSearchParams(url.search)) values.set(name, value);
    if (request.method === "POST" && request.body) {
      const body = await readLimited(request, MAX_INPUT_BYTES);
      if (body.byteLength > 0) {
        for (const [name, value] of await bodyEntries(body, request.headers.get("content-type") ?? "")) values.set(name, value);
      }
    }
    return new Params(values, request.headers.get("x-api-key") ?? undefined);
  }

  /** A parameter's value, or undefined. Oversized or unusable values are refused, never truncated. */
  get(name: string): string | undefined {
    const value = this.values.get(name);
    if (value === UNUSABLE || (value !== undefined && utf8.encode(value).length > MAX_VALUE_BYTES)) throw ApiError.invalid(name);
    return value;
  }

  /** The caller's API key: `api_key`, or `api` as both known clients send it, or an X-API-Key header. */
  apiKey(): string | undefined {
    return this.get("api_key") ?? this.get("api") ?? this.keyHeader;
  }

  /** 0 = PHP serialize (default), 1 = JSON, 2 = XML, 3 = "true"/"false"; anything else is code 7. */
  format(): Format {
    const raw = this.get("format");
    if (raw === undefined || raw === "") return 0;
    if (raw === "0" || raw === "1" || raw === "2" || raw === "3") return Number(raw) as Format;
    throw ApiError.invalidFormat();
  }
}

/** The body's parameters by its media type; a non-empty body of any other type is refused (415). */
async function bodyEntries(body: Uint8Array, contentType: string): Promise<Iterable<[string, Value]>> {
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  switch (mediaType) {
    case "application/x-www-form-urlencoded":
      return new URLSearchParams(new TextDecoder().decode(body));
    case "multipart/form-data":
      return multipartEntries(body, contentType);
    case "application/json":
      return jsonEntries(new TextDecoder().decode(body));
    default:
      throw HttpError.unsupportedBody();
  }
}

async function multipartEntries(body: Uint8Array, contentType: string): Promise<Array<[string, Value]>> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "Content-Type": contentType } }).formData();
  } catch {
    throw HttpError.badBody("multipart/form-data body is malformed");
  }
  return [...form].map(([name, value]): [string, Value] => [name, typeof value === "string" ? value : UNUSABLE]);
}

/** A JSON object whose values are strings or numbers (a number is read as its JSON text, e.g. userid 42). */
function jsonEntries(text: string): Array<[string, Value]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw HttpError.badBody("JSON body is malformed");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw HttpError.badBody("JSON body must be an object");
  return Object.entries(parsed).map(([name, value]): [string, Value] => [
    name,
    typeof value === "string" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : UNUSABLE,
  ]);
}

/** Reads at most `limit` bytes and refuses the rest, whatever Content-Length claims. */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw HttpError.tooLarge();
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw HttpError.tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
