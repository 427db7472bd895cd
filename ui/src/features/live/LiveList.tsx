import type { CSSProperties } from "react";
import type { LiveEntry, Movement } from "../../api";

/** Height of one row in px; rows are positioned by rank so CSS can animate moves. */
export const ROW_HEIGHT = 56;

const MOVEMENT_LABEL: Record<Movement, string> = {
  up: "moved up",
  down: "moved down",
  same: "no change",
  new: "new entry",
};

function MovementMarker({ entry }: { entry: LiveEntry }) {
  const steps = entry.prev_rank === null ? 0 : Math.abs(entry.prev_rank - entry.rank);
  const glyph = { up: "▲", down: "▼", same: "–", new: "NEW" }[entry.movement];
  const label =
    steps > 0 ? `${MOVEMENT_LABEL[entry.movement]} ${steps} (was #${entry.prev_rank})` : MOVEMENT_LABEL[entry.movement];
  return (
    <span
      className={`movement movement--${entry.movement}`}
      data-testid="movement"
      role="img"
      aria-label={label}
      title={label}
    >
      {glyph}
      {steps > 0 && <span className="movement__steps">{steps}</span>}
    </span>
  );
}

/** Orders entries by the contract's tie-break: rank, then plays descending, then song_id. */
function byRank(a: LiveEntry, b: LiveEntry): number {
  return a.rank - b.rank || b.plays - a.plays || a.song_id.localeCompare(b.song_id);
}

/**
 * The live top 10 as bars. DOM order stays fixed (by song_id) while each row's
 * vertical position comes from its rank: moving a DOM node would cancel its transition.
 */
export function LiveList({ entries }: { entries: LiveEntry[] }) {
  const ranked = [...entries].sort(byRank);
  const position = new Map(ranked.map((entry, index) => [entry.song_id, index]));
  const maxPlays = Math.max(1, ...entries.map((e) => e.plays));
  const stable = [...entries].sort((a, b) => a.song_id.localeCompare(b.song_id));

  return (
    <ul
      className="live-list"
      data-testid="live-list"
      style={{ height: ranked.length * ROW_HEIGHT, "--row-height": `${ROW_HEIGHT}px` } as CSSProperties}
    >
      {stable.map((entry) => {
        const index = position.get(entry.song_id) ?? 0;
        return (
          <li
            key={entry.song_id}
            className="live-row"
            data-testid="live-row"
            data-song-id={entry.song_id}
            data-rank={entry.rank}
            data-movement={entry.movement}
            aria-posinset={index + 1}
            aria-setsize={ranked.length}
            style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
          >
            <span className="live-row__rank">{entry.rank}</span>
            <MovementMarker entry={entry} />
            <div className="live-row__body">
              <div
                className="live-row__bar"
                style={{ width: `${(entry.plays / maxPlays) * 100}%` }}
                aria-hidden="true"
              />
              <span className="song-title" data-testid="live-title">
                {entry.title}
              </span>
              <span className="song-artist">{entry.artist}</span>
            </div>
            <span className="live-row__plays" role="img" aria-label={`${entry.plays} plays`}>
              {entry.plays.toLocaleString()}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
