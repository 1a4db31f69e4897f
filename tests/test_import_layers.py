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
    "evidence_crawler.capture": 2,  # the capture core: below pipelines and services, beside storage
    "evidence_crawler.services": 3,
    "evidence_crawler.distributed": 3,  # composes like services; its Scrapy adapters are loaded by dotted path
    "evidence_crawler.cli": 4, "evidence_crawler.commands": 4,
}
# modules that must not depend on each other within layer 2: spiders never import pipelines/storage
FORBIDDEN = {("spiders", "pipelines"), ("spiders", "storage"), ("storage", "pipelines"), ("storage", "spiders"),
             ("evidence_crawler.demo", "pipelines"), ("evidence_crawler.demo", "spiders"),
             ("evidence_crawler.bundle", "pipelines"), ("evidence_crawler.bundle", "spiders"),
             ("evidence_crawler.bundle", "storage"),
             # within layer 3: distributed composes services (run_crawl, archive), never the other way
             ("evidence_crawler.services", "evidence_crawler.distributed"),

             # the capture core is fed by the Scrapy adapters (pipelines) and uses storage, never the reverse
             ("evidence_crawler.capture", "pipelines"), ("evidence_crawler.capture", "spiders"),
             ("storage", "evidence_crawler.capture"), ("spiders", "evidence_crawler.capture")}


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


def test_the_capture_core_imports_no_scrapy():
    """Followed through every project module it reaches: merge, salvage and any non-Scrapy collector seal
    through ``evidence_crawler.capture`` without loading Scrapy or Twisted."""
    seen, todo, reached = set(), ["evidence_crawler.capture"], []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = ROOT / (name.replace(".", "/") + ".py")
        path = path if path.exists() else ROOT / name.replace(".", "/") / "__init__.py"
        if not path.exists():
            continue
        if name == "evidence_crawler.capture":
            todo += [f"{name}.{p.stem}" for p in path.parent.glob("*.py") if p.stem != "__init__"]
        for target in imports_of(path):
            top = target.split(".")[0]
            if top in ("scrapy", "twisted"):
                reached.append(f"{name} -> {target}")
            elif layer_of(target):
                todo.append(target)
    assert "evidence_crawler.capture.seal" in seen and "storage.local" in seen
    assert reached == [], "the capture core reaches Scrapy:\n" + "\n".join(reached)


def test_loading_the_capture_core_loads_no_scrapy():
    import subprocess
    import sys

    code = ("import sys, evidence_crawler.capture.seal, evidence_crawler.capture.session; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
