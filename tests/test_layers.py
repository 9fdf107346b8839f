"""The engine's modules import one way, down the pipeline a newcomer reads from the file names:
problems → documents → models → pack → load → check → plan → compile → run → result → api →
cli. A module may import only modules before it in LAYERS; detectors use the small public API.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENGINE = REPO / "engine"

# Each module of engine/ (patuh.<name>), lowest first; `plugins` is patuh.plugins (plugins/).
LAYERS = [
    "problems", "limits", "memory", "plugins", "documents", "models", "expressions", "pack", "facts", "rows", "load",
    "schema", "build", "check", "config", "plan", "patterns", "compiler", "counts", "runtime", "result", "workers",
    "output", "sinks", "explain", "store", "migrations", "api", "reference", "reports", "report_smk3",
    "report_k3_statistics", "report_contractors", "replay", "packtest", "audit", "service", "pytest_plugin", "cli",
]
# What detectors may import of patuh: the public API and the leaves under it.
DETECTOR_API = {"patuh", "patuh.rows", "patuh.models", "patuh.problems", "patuh.plugins", "patuh.output"}


def imports(path: Path, package: str) -> set[str]:
    """The patuh modules a file imports, as dotted names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "patuh"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x: x may be a module
                    found |= {f"{module}.{a.name}" for a in node.names}
                    continue
            else:
                module = node.module or ""
            if module.split(".")[0] == "patuh":
                found.add(module)
    return found


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def engine_modules() -> list[tuple[Path, str]]:
    out = []
    for path in sorted(ENGINE.rglob("*.py")):
        relative = path.relative_to(ENGINE).with_suffix("")
        parts = [p for p in relative.parts if p != "__init__"]
        out.append((path, ".".join(["patuh", *parts])))
    return out


def test_every_engine_module_has_a_layer():
    missing = [m for _, m in engine_modules() if m != "patuh" and layer(m) is None]
    assert not missing, f"add these to LAYERS in pipeline order: {missing}"


@pytest.mark.parametrize("path, module", engine_modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_flow_down_the_pipeline(path, module):
    if module == "patuh":
        return  # the package's own face imports what it exports
    own = LAYERS.index(layer(module))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    upward = sorted(m for m in imports(path, package)
                    if layer(m) and LAYERS.index(layer(m)) > own and layer(m) != layer(module))
    assert not upward, f"{path.relative_to(REPO)} imports {upward}, which stand above it"


def test_detectors_use_only_the_public_api():
    for path in sorted((REPO / "detectors").rglob("*.py")):
        package = "patuh.detectors" + "".join(f".{p}" for p in path.relative_to(REPO / "detectors").parent.parts)
        engine = {m for m in imports(path, package) if not m.startswith("patuh.detectors")}
        assert engine <= DETECTOR_API, f"{path.relative_to(REPO)} imports {sorted(engine - DETECTOR_API)}"
