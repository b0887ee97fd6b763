import QRCode from "qrcode-svg";

/** The white border readers need around the code: 4 modules (ISO/IEC 18004, quiet zone). */
const QR_QUIET_ZONE = 4;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The dark modules as rectangles: horizontal runs of each row, and a run that repeats one row
 * down (same start, same length) grows the rectangle above instead of starting a new one.
 */
function darkRects(modules: readonly (readonly boolean[])[]): Rect[] {
  const done: Rect[] = [];
  let open = new Map<string, Rect>();
  modules.forEach((row, y) => {
    const next = new Map<string, Rect>();
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      const start = x;
      while (row[x + 1]) x++;
      const key = `${start},${x - start + 1}`;
      const rect = open.get(key) ?? { x: start, y, width: x - start + 1, height: 0 };
      rect.height++;
      next.set(key, rect);
    }
    for (const [key, rect] of open) if (!next.has(key)) done.push(rect);
    open = next;
  });
  done.push(...open.values());
  return done.sort((a, b) => a.y - b.y || a.x - b.x);
}

/**
 * One path of integer coordinates in module units. Each rectangle is a relative move from the
 * previous one's corner (where `z` leaves the pen), so most numbers have one or two digits.
 */
function pathData(rects: readonly Rect[], offset: number): string {
  let x = 0;
  let y = 0;
  let d = "";
  for (const rect of rects) {
    const rx = rect.x + offset;
    const ry = rect.y + offset;
    // The first command must be absolute: a leading `m` is, by the SVG spec, but `M` says so.
    d += `${d ? "m" : "M"}${rx - x} ${ry - y}h${rect.width}v${rect.height}h-${rect.width}z`;
    x = rx;
    y = ry;
  }
  return d;
}

/**
 * The QR code of `content` as a small SVG, `size` px square. qrcode-svg encodes; we draw, because
 * its own output has no width/height with a viewBox and writes every module as a separate
 * fractional-pixel rectangle (57 KB for a version 8 code).
 */
export function qrSvg(content: string, size: number): string {
  const { modules } = new QRCode({ content, ecl: "M" }).qrcode;
  const side = modules.length + 2 * QR_QUIET_ZONE;
  // crispEdges: no anti-aliased seams between neighbouring rectangles at any scale.
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" ` +
    `viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">` +
    `<rect width="${side}" height="${side}" fill="#fff"/>` +
    `<path d="${pathData(darkRects(modules), QR_QUIET_ZONE)}"/></svg>`
  );
}
