"""Install a `solc-v<version>` executable that py-solc-x and ape-solidity accept.

On a machine with internet, py-solc-x's native binary is used (``--native``).
Here, where binaries cannot be downloaded, a two-line launcher runs the npm
``solc`` build (the same compiler in WebAssembly) through ``solc_adapter.js``.

Usage: python scripts/toolchain/install_solc.py [--native] [--dir DIR]
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = Path(__file__).resolve().with_name("solc_adapter.js")
DEFAULT_DIR = ROOT / ".solcx"


def pinned_version() -> str:
    """The solc version the project pins in package.json (the single source of truth)."""
    return json.loads((ROOT / "package.json").read_text())["dependencies"]["solc"]


def install_adapter(target_dir: Path, version: str) -> Path:
    """Write the launcher for the npm solc build and return its path."""
    node_modules = ROOT / "node_modules"
    installed = json.loads((node_modules / "solc" / "package.json").read_text())["version"]
    if installed != version:
        raise SystemExit(f"node_modules/solc is {installed}, package.json pins {version}: run npm ci")
    target_dir.mkdir(parents=True, exist_ok=True)
    launcher = target_dir / f"solc-v{version}"
    launcher.write_text(
        "#!/bin/sh\n"
        f'KP_NODE_MODULES="{node_modules}" exec node "{ADAPTER}" "$@"\n'
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return launcher


def install_native(target_dir: Path, version: str) -> Path:
    """Download the native binary through py-solc-x (needs internet)."""
    import solcx

    target_dir.mkdir(parents=True, exist_ok=True)
    solcx.install_solc(version, solcx_binary_path=target_dir)
    return target_dir / f"solc-v{version}"


@click.command(help=__doc__.splitlines()[0])
@click.option("--native", is_flag=True, help="download native solc via py-solc-x")
@click.option("--dir", "folder", type=click.Path(path_type=Path), envvar="SOLCX_BINARY_PATH", default=DEFAULT_DIR,
              show_default=True, help="where py-solc-x looks for solc (or SOLCX_BINARY_PATH)")
def main(native: bool, folder: Path) -> None:
    version = pinned_version()
    path = install_native(folder, version) if native else install_adapter(folder, version)
    banner = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=True).stdout
    print(f"{path}: {banner.splitlines()[-1]}")


if __name__ == "__main__":
    main()
