// Names typed by API clients and importers, shown so that two different names never look alike:
// a bidirectional override (U+202E), a zero-width space (U+200B) or a control character shows as
// its code point. New names cannot contain them (src/domain/identity.ts); rows from before that
// rule, or from a database edited by hand, still can.

/** Unicode format (Cf) and control (Cc) characters, and the line and paragraph separators. */
const INVISIBLE = /([\p{Cf}\p{Cc}\p{Zl}\p{Zp}])/u;

const codePoint = (char: string) => `⟨U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}⟩`;

/** The name as plain text with every invisible character written as ⟨U+XXXX⟩: for titles and attributes. */
export function visibleText(name: string): string {
  return name
    .split(INVISIBLE)
    .map((part, i) => (i % 2 === 1 ? codePoint(part) : part))
    .join("");
}

/** The name with every invisible character shown as a marked ⟨U+XXXX⟩: how the console shows any name. */
export function VisibleName({ name }: { name: string }) {
  const parts = name.split(INVISIBLE);
  if (parts.length === 1) return <>{name}</>;
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <span class="invisible-char" title="an invisible or direction-changing character">
            {codePoint(part)}
          </span>
        ) : (
          part
        ),
      )}
    </>
  );
}
