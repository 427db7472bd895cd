"""Play events with unique ids over known regions and hours, sent to a private Kafka topic."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from topsongs_core.events import PlayEvent
from topsongs_core.settings import KafkaSettings

REGIONS = ("US", "GB", "DE", "FR")
FIRST_HOUR = datetime(2025, 4, 23, 14, tzinfo=UTC)


def make_plays(n: int, hours: int = 2) -> list[PlayEvent]:
    """``n`` plays spread evenly over ``hours`` hours from FIRST_HOUR and over REGIONS."""
    step = timedelta(hours=hours) / n
    return [
        PlayEvent.model_validate(
            {
                "song_id": f"song-{i % 37}",
                "title": f"Title {i % 37}",
                "artist": "Artist",
                "user_id": f"user-{i % 101}",
                "region": REGIONS[i % len(REGIONS)],
                "played_at": FIRST_HOUR + step * i,
                "ms_played": 1000 + i,
            },
            context={"check_time": False},
        )
        for i in range(n)
    ]


async def send(kafka: KafkaSettings, plays: Iterable[PlayEvent], raw: Iterable[bytes] = ()) -> None:
    """Produce the plays (keyed as ingest does) plus raw records, then flush."""
    async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=20) as producer:
        for play in plays:
            await producer.send(kafka.plays_topic, play.to_json(), key=play.kafka_key())
        for value in raw:
            await producer.send(kafka.plays_topic, value, key=b"??|??")
        await producer.flush()


def expected_partition(play: PlayEvent) -> tuple[str, str, int]:
    """The (region, date, hour) directory a play belongs in."""
    at = play.played_at.astimezone(UTC)
    return play.region, at.strftime("%Y-%m-%d"), at.hour
