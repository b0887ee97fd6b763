import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { SEALED_COLUMNS } from "../src/db/sealed-columns";
import * as schema from "../src/db/schema";

const CIPHERTEXT = /^(.*)_ciphertext$/;

/** Every `*_ciphertext` column of the schema, with the `*_key_id` that must sit beside it. */
function schemaSealedColumns(): string[] {
  const found: string[] = [];
  for (const table of Object.values(schema)) {
    if (!is(table, SQLiteTable)) continue;
    const { name, columns } = getTableConfig(table);
    const names = new Set(columns.map((column) => column.name));
    for (const column of columns) {
      const prefix = CIPHERTEXT.exec(column.name)?.[1];
      if (prefix === undefined) continue;
      expect(names, `${name}.${column.name} has no ${prefix}_key_id beside it`).toContain(`${prefix}_key_id`);
      found.push(`${name}.${column.name}/${prefix}_key_id`);
    }
  }
  return found.sort();
}

describe("SEALED_COLUMNS (MEDIUM: a rotation left admins' second factors under the old key)", () => {
  it("is every sealed column of the schema: rotate-keys and --verify cover what the schema seals, now and later", () => {
    const listed = SEALED_COLUMNS.map(
      (column) => `${getTableConfig(column.table).name}.${column.ciphertext.name}/${column.sealKeyId.name}`,
    ).sort();
    expect(listed).toEqual(schemaSealedColumns());
    expect(listed).toContain("admins.totp_ciphertext/totp_key_id");
  });

  it("each entry's columns belong to its table, and its id only grows", () => {
    for (const column of SEALED_COLUMNS) {
      const { columns, name } = getTableConfig(column.table);
      for (const part of [column.id, column.ciphertext, column.sealKeyId, column.context])
        expect(columns, `${name}.${part.name}`).toContain(part);
      expect(column.id.primary, `${name}.${column.id.name}`).toBe(true);
    }
  });
});
