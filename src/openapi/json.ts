/** JSON values, for OpenAPI objects and JSON Schemas built in code. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };
