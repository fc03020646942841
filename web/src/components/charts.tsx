/** Hand-made SVG charts (no chart library): horizontal bars with their values, readable without colour. */
export function BarChart({ data, title, unit = '' }: { data: Array<{ label: string; value: number; tone?: string }>; title: string; unit?: string }) {
  const max = Math.max(1, ...data.map((d) => d.value));
  const row = 26;
  const labelWidth = 170;
  const width = 560;
  const barSpace = width - labelWidth - 60;
  const height = Math.max(row, data.length * row) + 8;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} width="100%" preserveAspectRatio="xMinYMin meet">
        {data.map((d, i) => {
          const w = Math.max(2, Math.round((d.value / max) * barSpace));
          const y = 4 + i * row;
          return (
            <g key={d.label}>
              <text x={labelWidth - 8} y={y + row / 2 + 4} textAnchor="end" className="chart-label">
                {d.label}
              </text>
              <rect x={labelWidth} y={y + 4} width={w} height={row - 8} rx={3} className={`chart-bar${d.tone ? ` chart-bar-${d.tone}` : ''}`} />
              <text x={labelWidth + w + 6} y={y + row / 2 + 4} className="chart-value">
                {d.value}
                {unit}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** A ring showing a part of a whole (e.g. known vs new). */
export function Ring({ part, whole, label }: { part: number; whole: number; label: string }) {
  const r = 36;
  const c = 2 * Math.PI * r;
  const share = whole > 0 ? part / whole : 0;
  return (
    <svg viewBox="0 0 100 100" width="96" height="96" role="img" aria-label={`${label}: ${part} / ${whole}`}>
      <circle cx="50" cy="50" r={r} className="ring-track" />
      <circle cx="50" cy="50" r={r} className="ring-part" strokeDasharray={`${share * c} ${c}`} transform="rotate(-90 50 50)" />
      <text x="50" y="55" textAnchor="middle" className="ring-text">
        {Math.round(share * 100)}%
      </text>
    </svg>
  );
}

/** Vertical columns over time (e.g. per month), values written above each column. */
export function ColumnChart({ data, title }: { data: Array<{ label: string; value: number }>; title: string }) {
  const max = Math.max(1, ...data.map((d) => d.value));
  const column = 40;
  const height = 160;
  const width = Math.max(200, data.length * column + 20);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 40}`} role="img" aria-label={title} width="100%" preserveAspectRatio="xMinYMin meet">
        {data.map((d, i) => {
          const h = Math.max(2, Math.round((d.value / max) * height));
          const x = 10 + i * column;
          return (
            <g key={d.label}>
              <rect x={x + 6} y={height - h + 16} width={column - 12} height={h} rx={3} className="chart-bar" />
              <text x={x + column / 2} y={height - h + 12} textAnchor="middle" className="chart-value">
                {d.value}
              </text>
              <text x={x + column / 2} y={height + 32} textAnchor="middle" className="chart-label">
                {d.label.slice(2)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
