"""Imports go one way: cli -> services -> spiders/pipelines/storage -> core modules -> models.

A module may import from its own layer or any layer below; this walks every module's imports (AST,
including imports inside functions) and names each upward edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# lower number = lower layer
LAYERS = {
    "evidence_crawler.models": 0, "evidence_crawler.timeutil": 0, "evidence_crawler.config": 0,
    "evidence_crawler": 1,  # core modules: hashing, custody, profile, warc, charset, extract, ...
    "storage": 2, "spiders": 2, "pipelines": 2, "evidence_crawler.demo": 2, "evidence_crawler.bundle": 2,
    "evidence_crawler.services": 3,
    "evidence_crawler.cli": 4, "evidence_crawler.commands": 4,
}
# modules that must not depend on each other within layer 2: spiders never import pipelines/storage
FORBIDDEN = {("spiders", "pipelines"), ("spiders", "storage"), ("storage", "pipelines"), ("storage", "spiders"),
             ("evidence_crawler.demo", "pipelines"), ("evidence_crawler.demo", "spiders"),
             ("evidence_crawler.bundle", "pipelines"), ("evidence_crawler.bundle", "spiders"),
             ("evidence_crawler.bundle", "storage")}


def layer_of(module: str) -> tuple[str, int] | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best


def modules():
    for folder in ("evidence_crawler", "spiders", "pipelines", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts).removesuffix(".__init__")
            yield name, path


def imports_of(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_module_imports_from_a_higher_layer():
    upward = []
    for name, path in modules():
        own = layer_of(name)
        for target in imports_of(path):
            dep = layer_of(target)
            if own is None or dep is None or dep[0] == "evidence_crawler" and target == "evidence_crawler":
                continue
            if dep[1] > own[1] or (own[0], dep[0]) in FORBIDDEN:
                upward.append(f"{name} -> {target}")
    assert upward == [], "upward or forbidden imports:\n" + "\n".join(upward)


def test_models_and_config_import_nothing_from_the_project():
    paths = [ROOT / "evidence_crawler" / "config.py", *(ROOT / "evidence_crawler" / "models").rglob("*.py")]
    for path in paths:
        project = [t for t in imports_of(path) if layer_of(t) and not t.startswith("evidence_crawler.models")
                   and t != "evidence_crawler"]
        assert project == [], f"{path.relative_to(ROOT)} imports {project}"
