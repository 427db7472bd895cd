import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ChartEntry } from "../../api";

interface TopTenBarsProps {
  entries: ChartEntry[];
  selectedSongId: string | null;
  onSelect: (songId: string) => void;
}

const LABEL_MAX = 20;

const shortLabel = (label: string) => (label.length > LABEL_MAX ? `${label.slice(0, LABEL_MAX - 1)}…` : label);

const BAR_COLOR = "var(--accent)";
const SELECTED_COLOR = "var(--accent-strong)";

/** Horizontal bar chart of a historical top 10 plus the same songs as a clickable list. */
export function TopTenBars({ entries, selectedSongId, onSelect }: TopTenBarsProps) {
  const data = entries.map((entry) => ({ ...entry, label: `${entry.rank}. ${entry.title}` }));
  return (
    <div className="history-chart">
      <div className="history-chart__plot" data-testid="history-chart" style={{ height: 48 + entries.length * 34 }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid horizontal={false} strokeDasharray="3 3" />
            <XAxis type="number" allowDecimals={false} />
            <YAxis
              type="category"
              dataKey="label"
              width={150}
              tick={{ fontSize: 12 }}
              interval={0}
              tickFormatter={shortLabel}
            />
            <Tooltip
              formatter={(value) => [value, "plays"]}
              labelFormatter={(label) => String(label)}
              cursor={{ fill: "var(--hover)" }}
            />
            <Bar
              dataKey="plays"
              cursor="pointer"
              isAnimationActive={false}
              onClick={(_bar, index) => {
                const entry = entries[index];
                if (entry) onSelect(entry.song_id);
              }}
            >
              {data.map((entry) => (
                <Cell key={entry.song_id} fill={entry.song_id === selectedSongId ? SELECTED_COLOR : BAR_COLOR} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      <ol className="history-list" data-testid="history-list">
        {entries.map((entry) => (
          <li key={entry.song_id}>
            <button
              type="button"
              className="history-row"
              data-testid="history-row"
              data-song-id={entry.song_id}
              data-plays={entry.plays}
              aria-pressed={entry.song_id === selectedSongId}
              onClick={() => onSelect(entry.song_id)}
            >
              <span className="history-row__rank">{entry.rank}</span>
              <span className="history-row__text">
                <span className="song-title">{entry.title}</span>
                <span className="song-artist">{entry.artist}</span>
              </span>
              <span className="history-row__plays">{entry.plays.toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
