"""The documentation's link check (`make lint`), beside `mkdocs build --strict`, for what a code host shows too.

    .venv/bin/python scripts/check_docs.py [FILE ...]

In README.md, SECURITY.md, bench/HISTORY.md and every page of docs/pages/ (or the files named): every relative link
or image names a file or folder that exists; every anchor (`page.md#heading`, `#heading`) names a heading of its
target, by GitHub's anchors (lower case, punctuation dropped, each space a hyphen; the site uses the same); and every
repository path written as code (`backend/...`, `tests/...`, `scripts/...`, `frontend-static/...`, `contracts/...`,
`bench/...`) exists, unless git ignores it (a generated folder such as `frontend-static/vendor/`); and no line of
prose starts with `#` and no space (the site's Markdown makes it a heading, a code host text). Fenced code blocks are
not read. One line per problem, `file:line: what`; exit 1 if there is any.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "SECURITY.md", "bench/HISTORY.md")
PAGES = "docs/pages"
REPO_PATH = re.compile(r"(?:backend|tests|scripts|frontend-static|contracts|bench)/[A-Za-z0-9_.\-/]*")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
NOT_A_HEADING = re.compile(r"^#{1,6}[^#\s]")  # a code host shows text; the site's Markdown makes it a heading
HTML_ID = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def documents(root: Path) -> list[Path]:
    found = [root / name for name in DOCUMENTS if (root / name).exists()]
    return found + sorted((root / PAGES).rglob("*.md"))


def prose_lines(text: str) -> Iterable[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(text.split("\n"), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor of a heading (pymdownx.slugs.slugify(case="lower") gives the site the same)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        out.update(HTML_ID.findall(line))
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def ignored_by_git(root: Path, relative: str) -> bool:
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", relative], cwd=root, capture_output=True)
    return done.returncode == 0


class Checker:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._anchors: dict[Path, set[str]] = {}

    def anchors_of(self, path: Path) -> set[str]:
        if path not in self._anchors:
            self._anchors[path] = anchors(path)
        return self._anchors[path]

    def check(self, paths: Iterable[Path]) -> list[str]:
        problems: list[str] = []
        for path in paths:
            path = path.resolve()
            name = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
            for number, line in prose_lines(path.read_text(encoding="utf-8")):
                problems += [f"{name}:{number}: {what}" for what in self.check_line(path, line)]
        return problems

    def check_line(self, path: Path, line: str) -> list[str]:
        problems = []
        if NOT_A_HEADING.match(line):
            problems.append("a line starting with '#' and no space: a heading in the site, text on a code host")
        spans = [m.group(2).strip() for m in CODE.finditer(line)]
        for span in spans:
            for token in span.split():
                if REPO_PATH.fullmatch(token) and not self.exists(token.rstrip(".,;:")):
                    problems.append(f"path `{token}`: not in the repository")
        for text, target in LINK.findall(CODE.sub(lambda m: "x" * len(m.group(0)), line)):
            del text
            problems += self.check_link(path, target)
        return problems

    def exists(self, relative: str) -> bool:
        return (self.root / relative).exists() or ignored_by_git(self.root, relative)

    def check_link(self, source: Path, target: str) -> list[str]:
        if SCHEME.match(target):
            return []  # another site, mail: not checked here (no network in the check)
        file_part, _, anchor = target.partition("#")
        linked = (source.parent / file_part).resolve() if file_part else source
        if file_part and not linked.exists():
            return [f"link {target}: no such file"]
        if anchor and linked.suffix == ".md" and anchor not in self.anchors_of(linked):
            return [f"link {target}: no heading with the anchor #{anchor} in {linked.name}"]
        return []


@click.command(help=__doc__.split("\n\n")[0])
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--root", type=click.Path(path_type=Path), default=ROOT, help="the repository's folder")
def main(files: tuple[Path, ...], root: Path) -> None:
    """FILES: Markdown files (default: the documentation's)."""
    paths = list(files) or documents(root)
    problems = Checker(root).check(paths)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s) in the documentation's links and paths", err=True)
        raise SystemExit(1)
    click.echo(f"documentation: {len(paths)} files, their links, anchors and repository paths checked")


if __name__ == "__main__":
    main()
