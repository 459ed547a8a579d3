"""README and docs/ stand on their own: no link leaves the repository, every link and anchor resolves,
the paths the commands use exist, and every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sms_metrics.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)|<([a-z][a-z0-9+.-]*:[^>\s]+)>")
BARE_URL = re.compile(r"\b(?:https?|ftp)://\S+")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _prose(path: Path) -> str:
    return INLINE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[`*_]{2,}|`", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m[1]) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def link_problems(page: Path, root: Path = ROOT) -> list[str]:
    problems = []
    prose = _prose(page)
    for m in LINK.finditer(prose):
        target = m[1] or m[2]
        if SCHEME.match(target):
            problems.append(f"outside link: {target}")
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            problems.append(f"dead link: {target}")
        elif root not in (dest, *dest.parents):
            problems.append(f"link out of the repository: {target}")
        elif anchor and (dest.suffix != ".md" or anchor not in _anchors(dest)):
            problems.append(f"no heading for #{anchor} in {dest.name}")
    bare = BARE_URL.findall(LINK.sub("", prose))
    return problems + [f"bare URL (a link out): {u.rstrip('.,;:)')}" for u in bare]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_link_leaves_the_repository_and_every_link_resolves(page):
    assert link_problems(page) == []


def test_the_checker_finds_outside_dead_and_anchorless_links(tmp_path):
    (tmp_path / "other.md").write_text("# Only heading\n")
    page = tmp_path / "page.md"
    page.write_text(
        "See [x](https://example.com/a), [y](missing.md), [z](other.md#nope), [ok](other.md#only-heading),\n"
        "<mailto:a@b.c> and http://example.org/b, but not `http://127.0.0.1:8080` in code.\n"
    )
    assert link_problems(page, tmp_path) == [
        "outside link: https://example.com/a",
        "dead link: missing.md",
        "no heading for #nope in other.md",
        "outside link: mailto:a@b.c",
        "bare URL (a link out): http://example.org/b",
    ]


def test_the_slug_is_githubs():
    assert slug("`/probe`, as blackbox_exporter") == "probe-as-blackbox_exporter"
    assert slug("How availability is counted") == "how-availability-is-counted"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_points_at_files_beside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text and "DESIGN.md" not in text


def test_the_example_files_the_docs_use_exist():
    used = {m for page in PAGES for m in re.findall(r"\bexamples/[\w./-]*[\w/]", page.read_text(encoding="utf-8"))}
    assert {"examples/sms.yaml", "examples/probes/"} <= used
    assert [u for u in sorted(used) if not (ROOT / u).exists()] == []


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert [f"SMS_{n.upper()}" for n in Settings.model_fields if f"`SMS_{n.upper()}`" not in text] == []
