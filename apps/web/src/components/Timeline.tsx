import { formatLocal, formatUtc } from '../lib/time';

/** Certificates expiring per week, as bars (SVG: no chart library, no inline styles). */
export function ExpiryTimeline({ weeks }: { weeks: readonly { week_start: string; count: number }[] }) {
  const max = Math.max(1, ...weeks.map((w) => w.count));
  const width = 600;
  const height = 160;
  const gap = 6;
  const bar = weeks.length ? (width - gap * (weeks.length - 1)) / weeks.length : 0;
  const total = weeks.reduce((sum, w) => sum + w.count, 0);
  return (
    <figure className="timeline">
      <svg
        viewBox={`0 0 ${width} ${height + 24}`}
        role="img"
        aria-label={`Certificates expiring per week over the next ${weeks.length} weeks: ${total} in all`}
      >
        {weeks.map((week, i) => {
          const h = week.count === 0 ? 2 : Math.max(6, (week.count / max) * height);
          const x = i * (bar + gap);
          return (
            <g key={week.week_start}>
              <title>{`Week of ${formatUtc(week.week_start)}: ${week.count}`}</title>
              <rect
                x={x}
                y={height - h}
                width={bar}
                height={h}
                rx={3}
                className={week.count === 0 ? 'bar bar-empty' : i < 2 ? 'bar bar-urgent' : 'bar'}
              />
              {week.count > 0 && (
                <text x={x + bar / 2} y={height - h - 4} textAnchor="middle" className="bar-label">
                  {week.count}
                </text>
              )}
              {i % 2 === 0 && (
                <text x={x + bar / 2} y={height + 18} textAnchor="middle" className="axis-label">
                  {formatLocal(week.week_start).slice(5, 10)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted small">
        Certificates expiring per week (week starts in your time zone; hover a bar for UTC).
      </figcaption>
    </figure>
  );
}
