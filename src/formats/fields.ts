/** An ordered list of response fields: every format keeps this order (clients index by position too). */
export type FieldValue = string | number;
export type Fields = ReadonlyArray<readonly [name: string, value: FieldValue]>;

/** 0 = PHP serialize (default), 1 = JSON, 2 = XML, 3 = "true"/"false". */
export type Format = 0 | 1 | 2 | 3;
