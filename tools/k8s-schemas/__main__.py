"""Write kubeconform's schemas from Kubernetes' OpenAPI v2 document, offline.

    python tools/k8s-schemas SWAGGER_JSON OUT_DIR

SWAGGER_JSON is ``api/openapi-spec/swagger.json`` of the Kubernetes release to validate against;
OUT_DIR gets one standalone, strict JSON Schema per kind and API version, named as kubeconform looks
them up (``-schema-location 'OUT_DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'``):
``deployment-apps-v1.json``, ``service-v1.json``. The conversion follows kubeconform's own schema
set (openapi2jsonschema with ``--expanded --kubernetes --stand-alone --strict``), which it would
otherwise download:

- every object with properties rejects unknown ones, as the API server's strict field validation does;
- an int-or-string is a string or an integer, a quantity a string or a number (YAML's ``cpu: 1``);
- an optional field may be null, which the API server reads as absent;
- each file holds the definitions its kind reaches, without descriptions.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

REF_PREFIX = "#/definitions/"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
STRING_OR_NUMBER = {"oneOf": [{"type": "string"}, {"type": "number"}]}

# the keywords of OpenAPI v2 whose value is a schema, or a list of schemas
SUBSCHEMA_KEYS = ("items", "additionalProperties", "not")
SUBSCHEMA_LIST_KEYS = ("allOf", "anyOf", "oneOf")

Schema = dict[str, Any]


def schema_file_name(group: str, version: str, kind: str) -> str:
    """The file kubeconform reads for a kind: ``{kind}-{first label of the group}-{version}.json``."""
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind}{suffix}".lower() + ".json"


def refs_in(node: Any) -> set[str]:
    """The definition names a schema refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX) :])
        for value in node.values():
            found |= refs_in(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs_in(value)
    return found


def reachable(definitions: dict[str, Schema], root: str) -> list[str]:
    """Every definition reachable from root through $ref, root included, in a stable order."""
    seen = {root}
    todo = [root]
    while todo:
        for name in refs_in(definitions[todo.pop()]):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return sorted(seen)


def nullable(schema: Schema) -> Schema:
    """The schema, or null."""
    if "$ref" in schema:
        return {"anyOf": [{"$ref": schema["$ref"]}, {"type": "null"}]}
    if "oneOf" in schema:
        return {**schema, "oneOf": [*schema["oneOf"], {"type": "null"}]}
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return schema


def tighten(schema: Schema) -> Schema:
    """Strict objects, int-or-string and nullable optional fields, descriptions dropped (recursively)."""
    if schema.get("format") == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
        return copy.deepcopy(INT_OR_STRING)
    out: Schema = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key == "properties":
            out[key] = {name: tighten(prop) for name, prop in value.items()}
        elif key in SUBSCHEMA_KEYS and isinstance(value, dict):
            out[key] = tighten(value)
        elif key in SUBSCHEMA_LIST_KEYS:
            out[key] = [tighten(item) for item in value]
        else:
            out[key] = copy.deepcopy(value)
    properties = out.get("properties")
    if properties is not None:
        required = set(out.get("required", []))
        out["properties"] = {
            name: prop if name in required else nullable(prop) for name, prop in properties.items()
        }
        if "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    return out


def kind_schema(definitions: dict[str, Schema], name: str, group: str, version: str, kind: str) -> Schema:
    """One kind's standalone schema: its definition at the root, what it reaches under definitions."""
    schema = tighten(definitions[name])
    api_version = f"{group}/{version}" if group else version
    schema["properties"]["apiVersion"] = {"type": "string", "enum": [api_version]}
    schema["properties"]["kind"] = {"type": "string", "enum": [kind]}
    schema["definitions"] = {
        ref: STRING_OR_NUMBER if ref == QUANTITY else tighten(definitions[ref])
        for ref in reachable(definitions, name)
        if ref != name
    }
    return schema


def write_schemas(swagger: Path, out: Path) -> int:
    """Write every kind's schema into out; returns how many were written."""
    definitions: dict[str, Schema] = json.loads(swagger.read_text())["definitions"]
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, definition in sorted(definitions.items()):
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk["group"], gvk["version"], gvk["kind"]
            if "properties" not in definition:
                continue
            schema = kind_schema(definitions, name, group, version, kind)
            (out / schema_file_name(group, version, kind)).write_text(json.dumps(schema, sort_keys=True))
            written += 1
    return written


def main(argv: list[str]) -> int:
    """Command line: SWAGGER_JSON OUT_DIR."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    count = write_schemas(Path(argv[0]), Path(argv[1]))
    print(f"k8s-schemas: {count} schemas in {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
