"""Imports point down the layers: every backend module is parsed (`ast`, lazy imports inside functions included)
and each `kpledger` import is checked against the importer's layer. A module may import its own layer or a lower
one, never a higher one.

    0  core, ops (settings, errors, the action table; metrics, log formats, memory: used everywhere)
    1  chain, db, signing (JSON-RPC and ABIs; the database; EIP-712 and signed requests)
    2  relay, indexer, queries, certificates, epcis (what the ledger does with them)
    3  api, cli, client, dev (the ways in: HTTP, the command lines, the client library, development)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "backend" / "kpledger"
LAYERS = {
    "core": 0, "ops": 0,
    "chain": 1, "db": 1, "signing": 1,
    "relay": 2, "indexer": 2, "queries": 2, "certificates": 2, "epcis": 2,
    "api": 3, "cli": 3, "client": 3, "dev": 3,
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer of a dotted `kpledger...` module: its top package's (`kpledger` itself is the bottom)."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    if parts[1] not in LAYERS:
        raise KeyError(f"{module}: kpledger.{parts[1]} has no layer in tests/test_layers.py (give it one)")
    return LAYERS[parts[1]]


def imports_of(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported kpledger module) of every import in the file, relative ones resolved."""
    found = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from kpledger import api` names a package: check the names imported from kpledger itself
            names = [f"{base}.{a.name}" for a in node.names] if base == "kpledger" else [base]
            found += [(node.lineno, name) for name in names]
    return [(line, name) for line, name in found if name == "kpledger" or name.startswith("kpledger.")]


def upward_imports(root: Path) -> list[str]:
    wrong = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        mine = layer_of(module)
        for line, imported in imports_of(path, module):
            theirs = layer_of(imported)
            if theirs > mine:
                wrong.append(f"{path.relative_to(root.parent)}:{line}: {module} (layer {mine}) imports {imported} "
                             f"(layer {theirs})")
    return wrong


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYERS), f"without a layer: {packages - set(LAYERS)}; gone: {set(LAYERS) - packages}"


def test_imports_point_down_the_layers() -> None:
    wrong = upward_imports(PACKAGE)
    assert wrong == [], "imports pointing up the layers:\n" + "\n".join(wrong)


@pytest.mark.parametrize(("importer", "statement"), [
    ("core/words.py", "from kpledger.api.main import create_app"),
    ("chain/abi.py", "from kpledger.relay import Relayer"),
    ("relay/fees.py", "def later():\n    from kpledger.cli import main"),
    ("db/models.py", "from kpledger import client"),
    ("signing/requests.py", "from ..queries import parcels"),
])
def test_an_upward_import_is_caught(tmp_path: Path, importer: str, statement: str) -> None:
    """The checker itself, on a copy of the package with one upward import planted (absolute, lazy or relative)."""
    import shutil

    copy = tmp_path / "kpledger"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.csv", "*.jsonld"))
    target = copy / importer
    target.write_text(target.read_text() + "\n\n" + statement + "\n")
    wrong = upward_imports(copy)
    assert len(wrong) == 1 and wrong[0].startswith(f"kpledger/{importer}:"), wrong


def test_only_dev_locates_the_source_tree() -> None:
    """Production does not depend on where the source tree is: outside `kpledger.dev` no module climbs from its own
    file to the repository (`Path(__file__)...parents[n]`, `.parent.parent`); its files are package data (next to the
    module) or settings."""
    climbing = re.compile(r"__file__\)?(\.resolve\(\))?\.(parents\[|parent\.parent)")
    found = [f"{path.relative_to(PACKAGE.parent)}:{n}" for path in sorted(PACKAGE.rglob("*.py"))
             if path.relative_to(PACKAGE).parts[0] != "dev"
             for n, line in enumerate(path.read_text().splitlines(), 1) if climbing.search(line)]
    assert found == [], found
