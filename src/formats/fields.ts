import { ApiError } from "../errors";

/** An ordered list of response fields: every format keeps this order (clients index by position too). */
export type FieldValue = string | number;
export type Fields = ReadonlyArray<readonly [name: string, value: FieldValue]>;

/** 0 = PHP serialize (default), 1 = JSON, 2 = XML, 3 = "true"/"false". */
export type Format = 0 | 1 | 2 | 3;

export function parseFormat(raw: string | undefined): Format {
  if (raw === undefined || raw === "") return 0;
  if (raw === "0" || raw === "1" || raw === "2" || raw === "3") return Number(raw) as Format;
  throw ApiError.invalidFormat();
}
