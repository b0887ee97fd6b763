// The common result of the record parsers: fields in the order the server sent them.
export type FieldValue = string | number | boolean | null;

export interface ParsedRecord {
  /** [name, value] in wire order; XML values are always strings */
  entries: Array<[string, FieldValue]>;
  /** XML only */
  root?: string;
  declaration?: string;
}

export class BodyParseError extends Error {}
