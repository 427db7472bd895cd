"""ingest's OpenAPI document says what the API does: schemathesis against the running app finds nothing."""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
from ingest.app import create_app
from ingest.openapi import STRIPPED, stripped_text_pattern
from ingest.settings import IngestSettings
from pydantic import StringConstraints, TypeAdapter, ValidationError
from topsongs_core.events import CONTROL_CHARACTERS
from topsongs_core.settings import ContractSettings, KafkaSettings

from tests.servers import serve_ingest

HERE = Path(__file__).parent
REPO = HERE.parents[1]
API_KEY = "open-sesame"


async def test_schemathesis_finds_no_failure_and_no_server_error(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    # A small batch limit so that the boundary cases (maxItems + 1) stay small; a key, so that the
    # ignored_auth check has something to check.
    settings = IngestSettings(kafka=kafka_settings, api_key=API_KEY, max_batch_events=20)
    report = tmp_path / "schemathesis.json"
    async with serve_ingest(settings) as base:
        run = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{base}/openapi.json",
            "--header",
            f"X-API-Key: {API_KEY}",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = (await run.communicate())[0].decode(errors="replace")
    assert run.returncode == 0, output
    result: dict[str, Any] = orjson.loads(report.read_bytes())
    assert result["complete"], output
    assert result["failures"] == [] and result["errors"] == [], output
    assert result["operations"]["tested"] == result["operations"]["total"] == 6, output
    assert {name: found for name, found in result["warnings"].items() if found} == {}, output
    # Both phases reached the app: valid plays were accepted and invalid ones refused.
    rates = result["valid_rates"]
    assert all(rates[op]["fuzzing"]["accepted"] > 0 for op in ("POST /play", "POST /plays")), rates
    assert result["test_cases"]["generated"] > 200, output


def test_document_states_regions_limits_errors_and_metrics_type() -> None:
    settings = IngestSettings(
        api_key="k", max_batch_events=7, contract=ContractSettings(regions=("US", "GB"))
    )
    doc = create_app(settings).openapi()
    event = doc["components"]["schemas"]["PlayEvent"]
    assert event["properties"]["region"]["enum"] == ["US", "GB"]
    plays = doc["paths"]["/plays"]["post"]
    events = plays["requestBody"]["content"]["application/json"]["schema"]["properties"]["events"]
    assert (events["minItems"], events["maxItems"]) == (1, 7)
    for path in ("/play", "/plays"):
        responses = doc["paths"][path]["post"]["responses"]
        assert set(responses) == {"202", "400", "401", "413", "415", "422", "429", "503"}
        for code in ("400", "401", "413", "415"):
            assert responses[code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
        # A 503 names the ids to resend; the header that makes a resend keep its ids is declared.
        assert responses["503"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Unacknowledged"
        }
        [key] = [p for p in doc["paths"][path]["post"]["parameters"] if p["name"] == "Idempotency-Key"]
        assert key["in"] == "header" and key["schema"]["anyOf"][0]["maxLength"] == 255
        assert responses["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/InvalidRequest"
        }
        assert "Retry-After" in responses["503"]["headers"]
        assert "Retry-After" in responses["429"]["headers"]
        assert doc["paths"][path]["post"]["security"] == [{"APIKeyHeader": []}]
    assert (
        "text/plain; version=0.0.4; charset=utf-8"
        in doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    )
    assert set(doc["paths"]["/readyz"]["get"]["responses"]) == {"200", "503"}
    # Without a key nothing asks for one.
    open_doc = create_app(IngestSettings()).openapi()
    assert "401" not in open_doc["paths"]["/play"]["post"]["responses"]
    assert "security" not in open_doc["paths"]["/play"]["post"]


def test_stripped_text_pattern_is_what_pydantic_strips() -> None:
    strip = TypeAdapter(Annotated[str, StringConstraints(strip_whitespace=True)])
    in_class = re.compile(f"[{STRIPPED}]")
    for code in range(0x110000):
        if not 0xD800 <= code < 0xE000:
            char = chr(code)
            assert (strip.validate_python(char) == "") == bool(in_class.fullmatch(char)), hex(code)
    # Every string up to 5 characters over an alphabet of text, stripped space, look-alikes and
    # control characters (U+0085 stripped, U+001C not; none may remain once stripped).
    samples = ["".join(chars) for n in range(6) for chars in itertools.product(" a\x1c\x85\ufeff", repeat=n)]
    control = re.compile(f"[{CONTROL_CHARACTERS}]")
    for low, high in [(0, 1), (1, 1), (1, 4), (2, 3)]:
        text = TypeAdapter(
            Annotated[str, StringConstraints(strip_whitespace=True, min_length=low, max_length=high)]
        )
        pattern = re.compile(stripped_text_pattern(low, high))
        for sample in samples:
            try:
                valid = not control.search(text.validate_python(sample))
            except ValidationError:
                valid = False
            assert bool(pattern.search(sample)) == valid, (low, high, sample)
