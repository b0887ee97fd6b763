/**
 * The key every per-address limit counts under (the wrong-key guard, the login flood limit, the
 * login counters), from `CF-Connecting-IP`. An IPv4 address counts as itself. An IPv6 client
 * counts by its /64: one subscriber is usually given a whole /64 (RFC 6177), so counting each
 * address would give one client 2^64 budgets. IPv4-mapped IPv6 addresses count as their IPv4.
 */
export function clientAddressKey(header: string | undefined): string | undefined {
  const address = header?.trim();
  if (!address) return undefined;
  if (!address.includes(":")) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address ("::" expanded, an embedded IPv4 tail read), or null when it is not one. */
function ipv6Groups(text: string): number[] | null {
  const address = text.replace(/%.*$/, "").toLowerCase();
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".")) {
        const bytes = piece.split(".").map((b) => (/^[0-9]{1,3}$/.test(b) ? Number(b) : NaN));
        if (bytes.length !== 4 || bytes.some((b) => !(b <= 255))) return null;
        out.push((bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) out.push(Number.parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...Array<number>(missing).fill(0), ...tail] : null;
}
