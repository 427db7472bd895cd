"""tools/k8s-schemas: Kubernetes' OpenAPI v2 definitions -> kubeconform's standalone strict schemas."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "k8s_schemas", REPO / "tools" / "k8s-schemas" / "__main__.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


k8s_schemas = load_tool()

DEFINITIONS = {
    "io.k8s.api.apps.v1.Widget": {
        "description": "a made-up kind",
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "spec": {"$ref": "#/definitions/io.k8s.api.apps.v1.WidgetSpec"},
        },
        "x-kubernetes-group-version-kind": [{"group": "apps", "version": "v1", "kind": "Widget"}],
    },
    "io.k8s.api.apps.v1.WidgetSpec": {
        "type": "object",
        "properties": {
            "port": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
            "memory": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"},
            "name": {"type": "string", "description": "dropped"},
        },
    },
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
    "io.k8s.api.core.v1.Unused": {"type": "object", "properties": {}},
}


def test_file_names_are_the_ones_kubeconform_looks_up() -> None:
    assert k8s_schemas.schema_file_name("apps", "v1", "Deployment") == "deployment-apps-v1.json"
    assert k8s_schemas.schema_file_name("networking.k8s.io", "v1", "Ingress") == "ingress-networking-v1.json"
    assert k8s_schemas.schema_file_name("", "v1", "Service") == "service-v1.json"


def test_a_kind_schema_is_standalone_strict_and_lenient_where_the_api_server_is(tmp_path: Path) -> None:
    swagger = tmp_path / "swagger.json"
    swagger.write_text(json.dumps({"definitions": DEFINITIONS}))
    assert k8s_schemas.write_schemas(swagger, tmp_path / "out") == 1
    schema = json.loads((tmp_path / "out" / "widget-apps-v1.json").read_text())

    assert schema["properties"]["apiVersion"]["enum"] == ["apps/v1"]
    assert schema["properties"]["kind"]["enum"] == ["Widget"]
    assert schema["additionalProperties"] is False
    assert "description" not in json.dumps(schema)
    definitions = schema["definitions"]
    # only what the kind reaches
    assert set(definitions) == {
        "io.k8s.api.apps.v1.WidgetSpec",
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
        "io.k8s.apimachinery.pkg.api.resource.Quantity",
    }
    spec = definitions["io.k8s.api.apps.v1.WidgetSpec"]
    assert spec["additionalProperties"] is False
    assert spec["properties"]["name"]["type"] == ["string", "null"]
    assert definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] == {
        "oneOf": [{"type": "string"}, {"type": "integer"}]
    }
    assert definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] == {
        "oneOf": [{"type": "string"}, {"type": "number"}]
    }
    # a required field stays non-null
    assert schema["properties"]["spec"] == {"$ref": "#/definitions/io.k8s.api.apps.v1.WidgetSpec"}
