// A stacked bar chart drawn as SVG by the Worker: no script, no stylesheet of its own (colours are
// presentation attributes, which the pages' CSP allows), scaled to the page's width by its viewBox.

export interface ChartSeries<K extends string> {
  key: K;
  label: string;
  colour: string;
}

export interface ChartBar<K extends string> {
  /** What the bar's tooltip (<title>) says it is. */
  label: string;
  values: Record<K, number>;
}

const WIDTH = 960;
const HEIGHT = 220;
const AXIS = 40;

export function StackedBars<K extends string>({ title, series, bars }: { title: string; series: ChartSeries<K>[]; bars: ChartBar<K>[] }) {
  const total = (bar: ChartBar<K>) => series.reduce((sum, s) => sum + bar.values[s.key], 0);
  const max = Math.max(1, ...bars.map(total));
  const step = (WIDTH - AXIS) / Math.max(1, bars.length);
  const scale = (HEIGHT - 20) / max;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title} class="chart-svg">
        <title>{title}</title>
        <line x1={AXIS} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} stroke="#999" />
        <text x={AXIS - 6} y={14} text-anchor="end" font-size="12" fill="#555">
          {String(max)}
        </text>
        <text x={AXIS - 6} y={HEIGHT - 2} text-anchor="end" font-size="12" fill="#555">
          0
        </text>
        {bars.map((bar, i) => {
          let top = HEIGHT;
          return (
            <g>
              <title>{`${bar.label}: ${series.map((s) => `${bar.values[s.key]} ${s.label}`).join(", ")}`}</title>
              {series.map((s) => {
                const h = bar.values[s.key] * scale;
                top -= h;
                return h > 0 ? <rect x={AXIS + i * step + 1} y={top} width={Math.max(1, step - 2)} height={h} fill={s.colour} /> : null;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {series.map((s) => (
          <span class="legend">
            <svg viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">
              <rect width="10" height="10" fill={s.colour} />
            </svg>{" "}
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
