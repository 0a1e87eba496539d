"""MkDocs hooks of the documentation site (docs/mkdocs.yml): README.md, SECURITY.md and bench/HISTORY.md, which live
outside docs/pages/, become pages of the site, and every link between those files and the pages, written as a path in
the repository (so that it works on a code host too), is rewritten to the page it becomes. The search's web worker
shim comes from node_modules (npm, pinned), never from a CDN."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
PAGES = "docs/pages/"
# files of the repository shown as pages of the site: repository path -> page
OUTSIDE = {"README.md": "index.md", "SECURITY.md": "security-policy.md", "bench/HISTORY.md": "benchmark-history.md"}
SHIM = ROOT / "node_modules" / "iframe-worker" / "shim" / "index.js"
SHIM_URI = "assets/javascripts/iframe-worker/shim.js"  # named in mkdocs.yml's extra.polyfills
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
FENCE = re.compile(r"^\s*(```|~~~)")


def on_files(files: Files, config) -> Files:
    for path, page in OUTSIDE.items():
        files.append(File.generated(config, page, content=(ROOT / path).read_text(encoding="utf-8")))
    if not SHIM.exists():
        raise PluginError(f"{SHIM.relative_to(ROOT)} is missing: `make setup` installs the npm packages")
    files.append(File.generated(config, SHIM_URI, abs_src_path=str(SHIM)))
    return files


def repository_path(page_uri: str) -> str:
    """Where the page of this site URI lives in the repository."""
    for path, page in OUTSIDE.items():
        if page == page_uri:
            return path
    return PAGES + page_uri


def site_target(source: str, target: str) -> str:
    """The link `target` of the repository file `source`, as a link between pages of the site (unchanged when it
    names nothing the site holds: the strict build then reports it)."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return target
    path, hash_, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if resolved in OUTSIDE:
        uri = OUTSIDE[resolved]
    elif resolved.startswith(PAGES):
        uri = resolved[len(PAGES):]
    else:
        return target
    page_dir = posixpath.dirname(OUTSIDE.get(source, source[len(PAGES):] if source.startswith(PAGES) else source))
    return posixpath.relpath(uri, page_dir or ".") + hash_ + anchor


def rewrite_links(markdown: str, source: str) -> str:
    out, fenced = [], False
    for line in markdown.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            line = LINK.sub(lambda m: m.group(1) + site_target(source, m.group(2)) + m.group(3), line)
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return rewrite_links(markdown, repository_path(page.file.src_uri))
