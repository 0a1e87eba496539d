"""scripts/check_docs.py, the documentation's link check in `make lint`: it finds a link to a missing file, an anchor
no heading has and a repository path that does not exist, where they are, and passes the repository's own docs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_docs.py"


@pytest.fixture(scope="module")
def check_docs():
    spec = importlib.util.spec_from_file_location("check_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small repository: a README that links a page, the page, and the code it names."""
    (tmp_path / "docs" / "pages").mkdir(parents=True)
    (tmp_path / "backend" / "kpledger").mkdir(parents=True)
    (tmp_path / "backend" / "kpledger" / "relay.py").write_text("")
    (tmp_path / "docs" / "pages" / "model.md").write_text(
        "# The model\n\n## Relayed writes (`KPIntents`)\n\nSee [the README](../../README.md#first-hour).\n\n"
        "```sh\n[not a link](nowhere.md) `backend/not/checked.py`\n```\n")
    (tmp_path / "README.md").write_text(
        "# KP Ledger\n\n## First hour\n\nRead [the model](docs/pages/model.md#relayed-writes-kpintents), "
        "[first hour](#first-hour) and `backend/kpledger/relay.py`; `backend/kpledger/` too.\n")
    return tmp_path


def test_a_clean_tree_passes(check_docs, repo):
    assert check_docs.Checker(repo).check(check_docs.documents(repo)) == []


def test_a_link_to_a_missing_file_is_found_with_its_line(check_docs, repo):
    page = repo / "docs" / "pages" / "model.md"
    page.write_text(page.read_text() + "\nThe [write API](writes.md) answers.\n")
    problems = check_docs.Checker(repo).check(check_docs.documents(repo))
    assert problems == ["docs/pages/model.md:11: link writes.md: no such file"], problems


def test_a_broken_anchor_is_found(check_docs, repo):
    readme = repo / "README.md"
    readme.write_text(readme.read_text().replace("#relayed-writes-kpintents", "#relayed-writes"))
    problems = check_docs.Checker(repo).check(check_docs.documents(repo))
    assert problems == ["README.md:5: link docs/pages/model.md#relayed-writes: no heading with the anchor "
                        "#relayed-writes in model.md"], problems


def test_an_anchor_on_the_same_page_is_checked(check_docs, repo):
    readme = repo / "README.md"
    readme.write_text(readme.read_text().replace("(#first-hour)", "(#the-first-hour)"))
    problems = check_docs.Checker(repo).check([readme])
    assert problems == ["README.md:5: link #the-first-hour: no heading with the anchor #the-first-hour in README.md"]


def test_a_missing_repository_path_is_found(check_docs, repo):
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nRun `tests/backend/test_gone.py -k x` and `scripts/gone.py`.\n")
    problems = check_docs.Checker(repo).check([readme])
    assert problems == ["README.md:7: path `tests/backend/test_gone.py`: not in the repository",
                        "README.md:7: path `scripts/gone.py`: not in the repository"], problems


def test_a_line_of_prose_that_the_site_would_make_a_heading_is_found(check_docs, repo):
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nThe governance is account\n#1 of anvil's test mnemonic.\n")
    problems = check_docs.Checker(repo).check([readme])
    assert problems == ["README.md:8: a line starting with '#' and no space: a heading in the site, text on a code "
                        "host"], problems


def test_github_anchors(check_docs):
    assert check_docs.slug("The `kp` command line") == "the-kp-command-line"
    assert check_docs.slug("GS1 EPCIS 2.0") == "gs1-epcis-20"
    assert check_docs.slug("The embedded chain after a kill -9") == "the-embedded-chain-after-a-kill--9"
    assert check_docs.slug("Certificates: issue, file, print, verify") == "certificates-issue-file-print-verify"


def test_the_script_exits_1_and_prints_each_problem(repo):
    (repo / "SECURITY.md").write_text("See [the model](docs/pages/modle.md).\n")
    done = subprocess.run([sys.executable, str(SCRIPT), "--root", str(repo)], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["SECURITY.md:1: link docs/pages/modle.md: no such file"], done.stdout


def test_the_repository_documentation_passes():
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
