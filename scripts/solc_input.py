"""Writes the solc standard-JSON input of the contracts, with the settings of ape-config.yaml.

    python scripts/solc_input.py .build/solc-input.json

For tools that take the compiler's own input (Slither: `--compile-force-framework Solc-json`, see
TOOLCHAIN.md), so they analyse exactly what `ape compile` builds: same compiler settings (EVM version,
optimizer), OpenZeppelin from node_modules through the same remapping. Every source reached from
`contracts/` (test-only contracts included) is embedded as content, so the compiler reads no file.
"""

from __future__ import annotations

import json
import posixpath
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*?\s+from\s+)?["\']([^"\']+)["\']\s*;', re.MULTILINE)


def remappings(config: dict) -> list[str]:
    """ape-config's `@openzeppelin/contracts=openzeppelin/<version>` pointed at the npm package instead."""
    out = []
    for entry in config["solidity"].get("import_remapping", []):
        prefix, _target = entry.split("=", 1)
        out.append(f"{prefix.rstrip('/')}/=node_modules/{prefix.rstrip('/')}/")
    return out


def resolve(unit: str, path: str, maps: list[tuple[str, str]]) -> str:
    """The source unit name of `import "path"` written in source unit `unit` (solc's rules)."""
    if path.startswith("."):
        path = posixpath.normpath(posixpath.join(posixpath.dirname(unit), path))
    for prefix, target in maps:
        if path.startswith(prefix):
            return target + path[len(prefix):]
    return path


def standard_input() -> dict:
    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())
    solidity = config["solidity"]
    maps = [tuple(m.split("=", 1)) for m in remappings(config)]
    folder = config.get("contracts_folder", "contracts")
    pending = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*.sol")
                     if ".cache" not in p.parts)
    sources: dict[str, dict[str, str]] = {}
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        content = (ROOT / unit).read_text()
        sources[unit] = {"content": content}
        pending.extend(resolve(unit, path, maps) for path in IMPORT.findall(content))
    return {
        "language": "Solidity",
        "sources": dict(sorted(sources.items())),
        "settings": {
            "evmVersion": solidity["evm_version"],
            "optimizer": {"enabled": bool(solidity.get("optimize", True)),
                          "runs": int(solidity.get("optimization_runs", 200))},
            "remappings": remappings(config),
            "outputSelection": {"*": {"*": ["abi", "metadata", "devdoc", "userdoc", "evm.bytecode",
                                               "evm.deployedBytecode", "evm.methodIdentifiers"], "": ["ast"]}},
        },
    }


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".build/solc-input.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(standard_input(), indent=1) + "\n")
    print(f"wrote {target} ({len(standard_input()['sources'])} sources)")


if __name__ == "__main__":
    main()
