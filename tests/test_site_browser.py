"""The website in a real browser: headless Chromium (Debian's) driven by Playwright.

The built site is served on 127.0.0.1 only; any request for another address
is refused and reported, so the site must work offline.  Playwright drives
the system's Chromium (``executable_path``); ``playwright install``, which
downloads browsers of its own, is never needed.
"""

from __future__ import annotations

import functools
import http.server
import io
import re
import threading
from pathlib import Path

import pytest
from docs_scripts import DOCS
from tools import CHROMIUM, require_module, require_program

#: notebook -> its pictures: the graph, half-way picture and GIF attachments; the heatmaps,
#: loss curves and fit GIF; the Jupyter page's two graphs and two figures
NOTEBOOK_PICTURES = {"backpropagation": 3, "logic_gates": 5, "jupyter": 4}


def _pages() -> dict[str, int]:
    """Each page's address on the site -> the number of pictures it shows."""
    pages = {}
    for page in sorted(DOCS.glob("*.md")):
        address = "" if page.stem == "index" else f"{page.stem}/"
        pages[address] = len(re.findall(r"!\[[^\]]*\]\(", page.read_text()))
    pages["benchmarks/"] = 0  # bench/README.md
    pages.update({f"notebooks/{name}/": count for name, count in NOTEBOOK_PICTURES.items()})
    return pages


PAGES = _pages()
_FLAGS = [  # as the machine's notes advise: no sandbox as root, no calls home
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url(built_site):
    """The built site served on a free port of 127.0.0.1 for this module's tests."""
    site, _ = built_site
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser_page(base_url):
    """A Chromium page that may load from the local server only; ``.refused`` lists the rest."""
    require_program(CHROMIUM, "Debian: apt-get install chromium")
    sync_api = require_module("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=_FLAGS,
                                             headless=True, timeout=60_000)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url[:-1])
        context.set_default_timeout(30_000)
        page = context.new_page()
        refused = []

        def only_local(route):
            if route.request.url.startswith(base_url):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.refused = refused
        yield page
        context.close()
        browser.close()


def test_the_pages_list_is_the_sites_pages(built_site):
    site, _ = built_site
    on_site = {"" if page.parent == site else f"{page.parent.relative_to(site).as_posix()}/"
               for page in site.rglob("index.html")}
    assert on_site == set(PAGES)


@pytest.mark.parametrize("address", list(PAGES))
def test_every_picture_on_the_page_loads(browser_page, base_url, address):
    """Each page opens, has its title, and every <img> on it loaded (natural width > 0)."""
    response = browser_page.goto(base_url + address, wait_until="load")
    assert response.status == 200
    images = browser_page.evaluate(
        "() => [...document.querySelectorAll('article img')]"
        ".map(img => [img.currentSrc.slice(0, 60), img.complete, img.naturalWidth])")
    assert len(images) == PAGES[address]
    assert all(complete and width > 0 for _, complete, width in images), images
    assert browser_page.locator("article h1").count() >= 1
    assert browser_page.refused == []


def test_the_search_box_finds_optimize(browser_page, base_url):
    """Typing 'optimize' in the search box lists pages about it, the logic-gates chapter first."""
    browser_page.goto(base_url, wait_until="load")
    search = browser_page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("optimize", delay=20)
    results = browser_page.locator(".md-search-result__item")
    results.first.wait_for(state="visible")
    found = browser_page.evaluate(
        "() => [...document.querySelectorAll('.md-search-result__item > a')]"
        ".map(a => new URL(a.href).pathname)")
    assert len(found) >= 3
    assert any(path.endswith("/logic_gates/") for path in found)
    meta = browser_page.locator(".md-search-result__meta").inner_text()
    assert "matching document" in meta
    assert browser_page.refused == []


def test_copying_an_example_copies_the_code_without_prompts_or_outputs(browser_page, base_url):
    """The copy button of a >>> example gives what pastes into Python: code lines only."""
    browser_page.goto(base_url + "logic_gates/", wait_until="load")
    examples = browser_page.locator("article .highlight:has(.gp)")
    assert examples.count() == (DOCS / "logic_gates.md").read_text().count("```python\n>>> ")
    first = examples.first
    first.hover()
    first.locator('button[data-md-type="copy"]').click()
    copied = browser_page.evaluate("() => navigator.clipboard.readText()")
    assert copied == (
        'from exprdiff import Input, Log, Parameter, Sigmoid, optimize\n'
        'x1, x2, label = Input("x1"), Input("x2"), Input("label")\n'
        'w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")\n'
        'perceptron = Sigmoid(w1 * x1 + w2 * x2 + b)\n'
        'print(perceptron)')


def test_the_home_page_is_not_blank(browser_page, base_url, tmp_path_factory):
    """A screenshot of the home page shows a header, the navigation and text: many colours."""
    image_module = require_module("PIL.Image", "it comes with matplotlib")
    browser_page.goto(base_url, wait_until="load")
    png = browser_page.screenshot()
    path = Path(tmp_path_factory.mktemp("screenshots")) / "home.png"
    path.write_bytes(png)
    image = image_module.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1280, 900)
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 100  # text is anti-aliased: a blank page has one or two
    near_white = sum(count for count, colour in colours if min(colour) > 240)
    assert near_white < 0.95 * image.size[0] * image.size[1]
    header = image.crop((0, 0, 1280, 40)).getcolors(maxcolors=1 << 20)
    assert max(header)[1] != (255, 255, 255)  # the coloured header bar
    assert browser_page.title() == "exprdiff"
    assert browser_page.refused == []
