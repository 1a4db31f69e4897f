"""An exported bundle carries the JSON Schemas of its JSON files, and its files validate against them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile

import jsonschema
import pytest

from evidence_crawler.models.schemas import SCHEMAS
from tests.bundle.conftest import unzip


def _validators(z: zipfile.ZipFile) -> dict[str, jsonschema.Draft202012Validator]:
    out = {}
    for name in SCHEMAS:
        schema = json.loads(z.read(f"evidence/{name}.schema.json"))
        jsonschema.Draft202012Validator.check_schema(schema)
        out[name] = jsonschema.Draft202012Validator(schema)
    return out


@pytest.mark.parametrize("fixture", ["bundle_en", "bundle_fr"])
def test_every_json_file_of_the_bundle_validates_against_the_schema_it_carries(fixture, request):
    with zipfile.ZipFile(request.getfixturevalue(fixture)) as z:
        check = _validators(z)
        names = z.namelist()
        check["bundle-manifest"].validate(json.loads(z.read("evidence/manifest.json")))
        sealed = [n for n in names if n.endswith(".manifest.json")]
        pages = [n for n in names if n.startswith("evidence/") and n.endswith(".pages.jsonl")]
        items = [n for n in names if n.endswith(".items.jsonl")]
        assert sealed and pages and items
        for n in sealed:
            check["manifest"].validate(json.loads(z.read(n)))
        for schema, members in (("page", pages), ("item", items), ("custody-event", ["evidence/custody.jsonl"])):
            lines = [line for m in members for line in z.read(m).splitlines()]
            assert lines
            for line in lines:
                check[schema].validate(json.loads(line))
        package = json.loads(z.read("datapackage.json"))
        listed = {r["path"] for r in package["resources"]}
        manifest_members = json.loads(z.read("evidence/manifest.json"))["members"]
        for name in SCHEMAS:  # listed like every evidence file, and covered by the signed manifest
            assert f"evidence/{name}.schema.json" in listed and f"evidence/{name}.schema.json" in manifest_members


def test_verify_txt_says_how_to_check_the_json_files_with_a_schema_tool(bundle_en, bundle_fr):
    for bundle in (bundle_en, bundle_fr):
        with zipfile.ZipFile(bundle) as z:
            text = z.read("evidence/VERIFY.txt").decode()
        assert "check-jsonschema --schemafile evidence/bundle-manifest.schema.json evidence/manifest.json" in text
        assert "jsonschema.validate" in text and "evidence/custody-event.schema.json evidence/custody.jsonl" in text


def test_the_json_lines_commands_of_verify_txt_pass_as_written(bundle_en, tmp_path):
    root = unzip(bundle_en, tmp_path / "case")
    text = (root / "evidence" / "VERIFY.txt").read_text()
    commands = re.findall(r"^ {5}(python3 -c .*)$", text, re.M)
    assert len(commands) == 3
    for cmd in commands:  # python3 as the venv's, which has jsonschema
        out = subprocess.run(cmd.replace("python3", sys.executable, 1), shell=True, cwd=root, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0 and out.stdout == "ok\n", (cmd, out.stderr[-2000:])
