// The shape of a fixture file (conformance/fixtures/*.json). Fixtures are data: every string in a
// request or an expectation may hold placeholders, expanded by placeholders.ts at send time.

export type Tag = "seed" | "contract";
export const TAGS: readonly Tag[] = ["seed", "contract"];

export type Scalar = string | number | boolean | null;

/** A matcher on one value. A bare scalar means "exactly this value, of this type". */
export type ValueMatcher = Scalar | MatcherObject;

export interface MatcherObject {
  /** exact value (a lone "{{placeholder}}" keeps the captured value's type) */
  equals?: Scalar;
  /** regular expression on the value's string form */
  pattern?: string;
  type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
  oneOf?: Scalar[];
  /** the field or header must not be present */
  absent?: boolean;
  /** an integer within this many seconds of the current Unix time */
  nearNowSeconds?: number;
}

/** The body of a PHP-serialized array, a JSON object or an XML document with one level of children. */
export interface RecordBody {
  format: "php" | "json" | "xml";
  /** exact list of field names in order (also forbids extra fields) */
  fieldOrder?: string[];
  fields?: Record<string, ValueMatcher>;
  /** XML only: the name of the root element */
  root?: string;
  /** XML only: the body must start with exactly this declaration */
  declaration?: string;
}

interface TextBody {
  format: "text";
  equals?: string;
  pattern?: string;
}

export interface JsonArrayBody {
  format: "json-array";
  /** every item is an object whose field names are exactly these, in this order */
  itemFieldOrder?: string[];
  /** every item matches these */
  itemFields?: Record<string, ValueMatcher>;
  /** items are in ascending order of this numeric field */
  sortedBy?: string;
  /** for each entry, at least one item matches all of its fields */
  contains?: Array<Record<string, ValueMatcher>>;
  /** for each entry, no item matches all of its fields */
  notContains?: Array<Record<string, ValueMatcher>>;
}

interface SvgBody {
  format: "svg";
}

export type BodyExpectation = RecordBody | TextBody | JsonArrayBody | SvgBody;

export interface Expectation {
  status: number;
  contentType?: ValueMatcher;
  /** lower-case header names */
  headers?: Record<string, ValueMatcher>;
  body?: BodyExpectation;
}

interface StepRequest {
  method: string;
  /** a path on the target, or a captured absolute URL (only its path and query are used) */
  path: string;
  query?: Record<string, string>;
  /** sent as application/x-www-form-urlencoded */
  form?: Record<string, string>;
  /** sent as multipart/form-data, as PHP's curl sends an array */
  multipart?: Record<string, string>;
  /** sent verbatim (with `contentType`), for size tests */
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Step {
  name: string;
  request: StepRequest;
  expect: Expectation;
  /** store every body field as `<name>.<field>` (e.g. "user" → {{user.userid}}, {{user.hash}}) */
  capture?: string;
  /** store values of this request as {{<name>}} after sending (e.g. the token that was used) */
  captureRequest?: Record<string, string>;
}

export interface Fixture {
  name: string;
  tag: Tag;
  description: string;
  steps: Step[];
}
