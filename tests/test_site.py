"""The website built from docs/ (``mkdocs build --strict``): every page, figure and link there."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from docs_scripts import DOCS

ROOT = DOCS.parent
GUIDE_PAGES = sorted(p.name for p in DOCS.glob("*.md"))
NOTEBOOKS = sorted(p.stem for p in (DOCS / "notebooks").glob("*.ipynb"))


def _nav_pages() -> list[str]:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with MkDocs")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages, stack = [], [config["nav"]]
    while stack:  # depth-first, in order
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        else:
            pages.append(item)
    return pages


def _index_links() -> list[str]:
    """The pages docs/index.md links to, in order, as the site names them."""
    links = re.findall(r"\]\(([^)#]+\.(?:md|ipynb))\)", (DOCS / "index.md").read_text())
    site_names = {"../bench/README.md": "benchmarks.md"}  # docs/site_hooks.py brings it in
    return list(dict.fromkeys(site_names.get(link, link) for link in links))


def test_the_navigation_follows_the_home_page():
    """mkdocs.yml's nav lists the pages in the order docs/index.md presents them."""
    assert _nav_pages() == ["index.md", *_index_links()]


def test_every_page_and_notebook_is_in_the_navigation():
    nav = _nav_pages()
    assert sorted(p for p in nav if p.endswith(".md") and p != "benchmarks.md") == GUIDE_PAGES
    assert sorted(p for p in nav if p.endswith(".ipynb")) == [
        f"notebooks/{name}.ipynb" for name in NOTEBOOKS]


def test_the_site_builds_strictly_without_a_warning(built_site):
    site, log = built_site
    assert not re.findall(r"^(?:WARNING|ERROR)\s+-.*$", log, flags=re.M)  # MkDocs' own messages
    assert (site / "index.html").is_file() and (site / "search" / "search_index.json").is_file()


def test_every_page_is_on_the_site(built_site):
    """Each guide page, the Benchmarks page and each notebook (with its .ipynb to download)."""
    site, _ = built_site
    for page in GUIDE_PAGES:
        folder = "" if page == "index.md" else Path(page).stem + "/"
        assert (site / folder / "index.html").is_file(), page
    assert "exprdiff beside a hand-written NumPy" in (site / "benchmarks" / "index.html").read_text()
    for name in NOTEBOOKS:
        page = site / "notebooks" / name / "index.html"
        assert page.is_file() and (page.parent / f"{name}.ipynb").is_file()
        assert f'href="{name}.ipynb" download' in page.read_text()


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "a" and key == "src"):
                self.refs.append((tag, attrs[key]))


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_every_link_and_image_on_the_site_leads_somewhere(built_site):
    """All local href/src of every page (notebook pages too) name a file of the site;
    nothing is loaded from another site (it works offline)."""
    site, _ = built_site
    broken, remote = [], []
    for page in _pages(site):
        parser = _Refs()
        parser.feed(page.read_text())
        base = "file://" + page.as_posix()
        for tag, ref in parser.refs:
            url = urlparse(urljoin(base, ref))
            if url.scheme in ("http", "https"):
                if tag != "a":  # a link out is fine; a script, style or image is not
                    remote.append((page.relative_to(site), ref))
                continue
            if url.scheme != "file":
                continue  # data: images, mailto:
            target = Path(unquote(url.path))
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append((str(page.relative_to(site)), ref))
    assert broken == [] and remote == []


def test_session_examples_are_highlighted_as_sessions(built_site):
    """>>> examples get prompt and output tokens (which the copy button leaves out)."""
    site, _ = built_site
    html = (site / "logic_gates" / "index.html").read_text()
    prompts = (DOCS / "logic_gates.md").read_text().count("\n>>> ")
    assert html.count('<span class="gp">&gt;&gt;&gt; </span>') == prompts > 50
    assert '<span class="go">sigmoid(w1*x1 + w2*x2 + b)' in html


def test_notebook_pages_show_their_outputs(built_site):
    """The notebooks were executed for the site: the fit's numbers and the figures are there."""
    site, _ = built_site
    html = (site / "notebooks" / "logic_gates" / "index.html").read_text()
    assert "(6.403725, 6.403725, -9.781184)" in html
    assert html.count('src="data:image/png;base64,') == 4
    assert 'href="../../keeping/"' in (site / "notebooks" / "backpropagation" / "index.html"
                                       ).read_text()


def test_chapters_with_notebooks_point_to_them(built_site):
    site, _ = built_site
    for name in ("backpropagation", "logic_gates"):
        html = (site / name / "index.html").read_text()
        assert f'href="../notebooks/{name}/"' in html
