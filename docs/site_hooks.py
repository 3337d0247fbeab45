"""MkDocs hooks that make the guide's pages and notebooks one website (see mkdocs.yml).

- Examples written as ``>>>`` sessions are highlighted as Python sessions
  (prompts and outputs told apart, so the copy button leaves them out).
- ``bench/README.md`` joins the site as the Benchmarks page, and links to it
  from the guide lead there.
- A chapter that is also a notebook says so at its top, and links to it; a
  notebook's page offers its ``.ipynb`` for download and links back.
- On notebook pages (rendered by mkdocs-jupyter, outside MkDocs' own link
  handling), links to the guide's pages (``../keeping.md``) become the
  pages' addresses.

Nothing on the site comes from another site (no web fonts, and mkdocs-jupyter
is left without a MathJax address), so it works offline; tests/test_site.py
and the browser test check it.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

REPOSITORY = Path(__file__).resolve().parent.parent
#: pages from outside docs/: where they appear on the site, and where they come from
OUTSIDE_PAGES = {"benchmarks.md": REPOSITORY / "bench" / "README.md"}
_OUTSIDE_LINKS = {"../bench/README.md": "benchmarks.md"}

_SESSION_FENCE = re.compile(r"^```python\n(?=>>> )", flags=re.M)
_GUIDE_LINK = re.compile(r'href="\.\./([\w/-]+\.(?:md|ipynb))(#[\w-]*)?"')
_TITLE = re.compile(r"^# .*$", flags=re.M)


def on_files(files: Files, config) -> Files:
    for uri, source in OUTSIDE_PAGES.items():
        files.append(File.generated(config, uri, abs_src_path=str(source)))
    return files


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    markdown = _SESSION_FENCE.sub("```pycon\n", markdown)
    for old, new in _OUTSIDE_LINKS.items():
        markdown = markdown.replace(f"]({old})", f"]({new})")
    notebook = _notebook_of(page.file.src_uri, files)
    if notebook is not None and notebook.src_uri not in markdown:  # unless the page says so
        note = (
            '\n\n!!! tip "This chapter is also a Jupyter notebook"\n'
            f"    [Read it with its outputs, or download it]({notebook.src_uri}) to run "
            "the examples yourself, cell by cell.\n"
        )
        markdown = _TITLE.sub(lambda title: title.group(0) + note, markdown, count=1)
    return markdown


def on_page_content(html: str, page, config, files: Files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    html = _GUIDE_LINK.sub(lambda link: _page_link(link, page, files), html)
    name = Path(page.file.src_uri).name
    banner = (
        '<div class="admonition tip"><p class="admonition-title">A Jupyter notebook</p>'
        f'<p><a href="{name}" download>Download {name}</a> and open it in Jupyter to run '
        "it cell by cell.</p></div>"
    )
    return banner + html


def _notebook_of(src_uri: str, files: Files):
    if "/" in src_uri or not src_uri.endswith(".md"):
        return None
    return files.get_file_from_path(f"notebooks/{Path(src_uri).stem}.ipynb")


def _page_link(link: re.Match, page, files: Files) -> str:
    target = files.get_file_from_path(link.group(1))
    if target is None:
        return link.group(0)  # left as written: the link check of the site test reports it
    return f'href="{get_relative_url(target.url, page.url)}{link.group(2) or ""}"'
