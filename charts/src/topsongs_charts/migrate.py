"""Plain ordered SQL migrations (`charts/migrations/NNNN_name.sql`) tracked in `schema_migrations`."""

from __future__ import annotations

import argparse
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from topsongs_core.settings import PostgresSettings

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any fixed key works; it only serialises concurrent runners (make up, tests, CI).
_LOCK_KEY = 0x70505F4D4947


def migrations_dir() -> Path:
    """Where the SQL files are: packaged next to the module, or `charts/migrations` in the repo."""
    packaged = Path(__file__).resolve().parent / "migrations"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "migrations"


@dataclass(frozen=True)
class Migration:
    """One SQL file with its version and checksum."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text: an applied migration must never change."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path | None = None) -> list[Migration]:
    """Every migration file, ordered by version; rejects stray names and duplicate versions."""
    found: dict[int, Migration] = {}
    for path in sorted((directory or migrations_dir()).glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} is not named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations with version {version}")
        found[version] = Migration(version, path.stem, path.read_text())
    return [found[v] for v in sorted(found)]


def _prepare(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )


def _grant_reader(conn: psycopg.Connection, schema: str, reader: str) -> None:
    ids = {"schema": sql.Identifier(schema), "reader": sql.Identifier(reader)}
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {schema} TO {reader}").format(**ids))
    conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}").format(**ids))


def apply(settings: PostgresSettings, *, schema: str = "public", directory: Path | None = None) -> list[int]:
    """Apply pending migrations in one transaction as the loader role; returns versions applied."""
    pending = discover(directory)
    with psycopg.connect(settings.dsn()) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        _prepare(conn, schema)
        applied: dict[int, str] = dict(
            conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
        )
        done: list[int] = []
        for migration in pending:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise RuntimeError(f"applied migration {migration.name} was edited afterwards")
                continue
            conn.execute(migration.sql)  # trusted files from the repo
            conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
            done.append(migration.version)
        _grant_reader(conn, schema, settings.reader_user)
    return done


def current_version(settings: PostgresSettings, *, schema: str = "public") -> int | None:
    """The highest applied version, or None when the schema has never been migrated."""
    with psycopg.connect(settings.dsn(), connect_timeout=3) as conn:
        table = conn.execute("SELECT to_regclass(%s)", (f"{schema}.schema_migrations",)).fetchone()
        if table is None or table[0] is None:
            return None
        row = conn.execute(
            sql.SQL("SELECT max(version) FROM {}.schema_migrations").format(sql.Identifier(schema))
        ).fetchone()
        return row[0] if row else None


def main() -> None:
    """`python -m topsongs_charts.migrate [--status]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--status", action="store_true", help="print the schema version only")
    parser.add_argument("--schema", default="public")
    args = parser.parse_args()
    settings = PostgresSettings()
    if not args.status:
        applied = apply(settings, schema=args.schema)
        print(f"applied {applied or 'nothing'}")
    print(f"schema version {current_version(settings, schema=args.schema)}")


if __name__ == "__main__":
    main()
