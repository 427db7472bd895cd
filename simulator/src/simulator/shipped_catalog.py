"""Builds the catalog that ships with the package: made-up names, deterministic for one seed.

Regenerate the committed file with ``uv run python -m simulator.shipped_catalog``.
"""

from __future__ import annotations

import random
from pathlib import Path

from simulator.catalog import Artist, Catalog, Genre, Song, write_catalog

SEED = 20250423
GENRES = {
    "Pop": "Hook-driven mainstream songs",
    "Hip-Hop": "Rap verses over beats",
    "Rock": "Guitar bands, loud and proud",
    "Electronic": "Club and festival dance music",
    "R&B": "Smooth rhythm and blues",
    "Latin": "Reggaeton, salsa and Latin pop",
    "K-Pop": "Korean idol pop",
    "J-Pop": "Japanese pop and anime themes",
    "Country": "Story songs with steel guitar",
    "Indie": "Independent alternative and bedroom pop",
    "Afrobeats": "West African pop grooves",
    "Sertanejo": "Brazilian country pop",
}
# Genre affinity per region; unlisted genres default to 1.0.
TASTES = {
    "US": {"Pop": 3, "Hip-Hop": 3.5, "Country": 2.5, "R&B": 2, "Rock": 1.5, "Latin": 1.2},
    "GB": {"Pop": 3, "Indie": 2.5, "Electronic": 2.5, "Rock": 2, "Hip-Hop": 1.8, "Afrobeats": 1.5},
    "DE": {"Electronic": 3.5, "Pop": 2.5, "Rock": 2.2, "Hip-Hop": 2},
    "FR": {"Pop": 2.5, "Hip-Hop": 3, "Electronic": 2.5, "Afrobeats": 1.6},
    "BR": {"Sertanejo": 4, "Latin": 2.5, "Pop": 2, "Hip-Hop": 1.5, "Country": 0.3},
    "MX": {"Latin": 4, "Pop": 2, "Rock": 1.4, "Country": 0.5},
    "JP": {"J-Pop": 4, "Rock": 2, "K-Pop": 2, "Pop": 1.2, "Country": 0.2},
    "KR": {"K-Pop": 4.5, "Pop": 1.5, "R&B": 1.5, "Hip-Hop": 1.5, "Country": 0.2},
    "IN": {"Pop": 2, "Electronic": 1.6, "Hip-Hop": 1.5, "Country": 0.2, "Sertanejo": 0.3},
    "AU": {"Pop": 3, "Indie": 2.5, "Rock": 2, "Electronic": 1.8, "Country": 1.4},
}
GENRE_HOMES = {
    "K-Pop": ["KR"],
    "J-Pop": ["JP"],
    "Sertanejo": ["BR"],
    "Latin": ["MX", "BR", "US"],
    "Afrobeats": ["GB", "FR", "US"],
    "Country": ["US", "AU"],
}
FIRST = (
    "Mara Jonah Lena Theo Ivy Rafa Nico Selma Otto Juno Kai Amara Leon Zara Milo Noor "
    "Tomas Elio Freya Dante Ayla Bruno Celine Hugo Lucia Mateo Rin Soojin Haru Yuki Priya "
    "Arjun Tayo Ama Kofi Beatriz Joaquin Wren Sienna Cole"
).split()
LAST = (
    "Vale Rowe Calder Sato Park Moreau Okafor Lindqvist Reyes Costa Nakamura Kim Bauer "
    "Ashford Quinn Delacroix Mendes Haines Ferro Ito Adeyemi Novak Larkin Soto Weir Brandt "
    "Silva Kapoor Mercer Holt"
).split()
ADJ = (
    "Golden Electric Silent Neon Velvet Broken Midnight Paper Crystal Wild Hollow Burning "
    "Lonely Endless Violet Frozen Secret Restless Borrowed Fading Sugar Copper Distant "
    "Savage Gentle Hidden Lucky Stray Bitter Sunday"
).split()
NOUN = (
    "Heart Signal Ocean River Mirror Echo Garden Highway Satellite Fire Shadow Summer "
    "Thunder Canyon Lantern Horizon Letter Harbor Circus Comet Dream Wolf Parade Window "
    "Avenue Static Orchard Tide Engine Atlas Rain Diamond Ghost Rebel Satin Motel"
).split()
VERB = (
    "Chasing Dancing Running Falling Calling Waiting Holding Breaking Burning Dreaming "
    "Losing Finding Driving Singing Floating"
).split()


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "x", "ch")) else "s")


def _artist_name(rng: random.Random) -> str:
    form = rng.randrange(6)
    if form == 0:
        return f"The {rng.choice(ADJ)} {_plural(rng.choice(NOUN))}"
    if form == 1:
        return f"{rng.choice(ADJ)} {rng.choice(NOUN)}"
    if form == 2:
        return f"{rng.choice(FIRST)} & the {_plural(rng.choice(NOUN))}"
    if form == 3:
        return f"{rng.choice(NOUN)}{rng.choice(['', ' Club', ' Theory', ' Kids', ' Society'])}"
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _title(rng: random.Random) -> str:
    form = rng.randrange(7)
    if form == 0:
        return f"{rng.choice(VERB)} {_plural(rng.choice(NOUN))}"
    if form == 1:
        return f"{rng.choice(NOUN)} of {_plural(rng.choice(NOUN))}"
    if form == 2:
        return f"{rng.choice(VERB)} the {rng.choice(ADJ)} {rng.choice(NOUN)}"
    if form == 3:
        return f"{rng.choice(NOUN)}"
    if form == 4:
        return f"{rng.choice(ADJ)} {rng.choice(NOUN)} ({rng.choice(['Remix', 'Live', 'Acoustic'])})"
    return f"{rng.choice(ADJ)} {rng.choice(NOUN)}"


def build(songs: int = 500, artists: int = 120, seed: int = SEED) -> Catalog:
    """A deterministic catalog of made-up but plausible songs and artists."""
    rng = random.Random(seed)
    genre_names = list(GENRES)
    regions = list(TASTES)
    names: set[str] = set()
    cast: list[Artist] = []
    while len(cast) < artists:
        name = _artist_name(rng)
        if name in names:
            continue
        names.add(name)
        genre = genre_names[len(cast) % len(genre_names)]
        home = rng.choice(GENRE_HOMES.get(genre, regions))
        cast.append(Artist(name=name, genre=genre, home_region=home))
    tracks: list[Song] = []
    prolific = [1 / (rank + 1) ** 0.8 for rank in range(artists)]
    for i in range(songs):
        # a few prolific artists, a long tail of one-hit wonders
        artist = cast[i] if i < artists else rng.choices(cast, weights=prolific)[0]
        genre = artist.genre if rng.random() < 0.85 else rng.choice(genre_names)
        tracks.append(
            Song(
                song_id=f"s-{i + 1:04d}",
                title=_title(rng),
                artist=artist.name,
                genre=genre,
                release_year=min(2025, int(2025 - rng.expovariate(1 / 6))),
                duration_ms=int(rng.gauss(205_000, 35_000)) // 1000 * 1000 or 180_000,
            )
        )
    return Catalog(
        source="shipped",
        genres=[Genre(name=n, description=d) for n, d in GENRES.items()],
        artists=cast,
        songs=tracks,
        region_tastes={r: {g: float(w) for g, w in t.items()} for r, t in TASTES.items()},
    )


def main() -> None:
    """Rewrite the committed package-data catalog."""
    target = Path(__file__).parent / "data" / "catalog.json"
    write_catalog(build(), target)
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
