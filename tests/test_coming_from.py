"""The "Coming from micrograd / PyTorch / JAX / SymPy" page: every row has an executed example."""

import re

from docs_scripts import DOCS

PAGE = (DOCS / "coming_from.md").read_text()
ROWS = [line for line in PAGE.splitlines()
        if line.startswith("| `") or line.startswith("| filling")]


def sections() -> dict[str, str]:
    """The executed example lines (`>>>` and `...`, not skipped) of each section, by anchor."""
    found: dict[str, list[str]] = {}
    anchor = None
    for line in PAGE.splitlines():
        if line.startswith("## "):
            anchor = re.sub(r"[^\w\- ]", "", line[3:].lower()).strip().replace(" ", "-")
            found[anchor] = []
        elif anchor and line.startswith((">>> ", "... ")) and "+SKIP" not in line:
            found[anchor].append(line[4:])
    return {name: "\n".join(lines) for name, lines in found.items()}


def test_the_table_maps_every_idiom_the_issue_names():
    """Value, .backward(), .grad, zero_grad, draw_dot, MLP, jax.grad, value_and_grad,
    sympy.diff and lambdify all have a row."""
    idioms = "\n".join(row.split("|")[1] for row in ROWS)
    for idiom in ["Value(2.0)", "backward()", "a.grad", "zero_grad()", "draw_dot(L)",
                  "MLP(3, [4, 4, 1])", "jax.grad", "jax.value_and_grad", "sympy.diff",
                  "sympy.lambdify"]:
        assert idiom in idioms
    assert len(ROWS) >= 15


def test_every_row_links_to_an_executed_example_of_its_exprdiff_way():
    """Each row's link names a section with executed `>>>` examples, and every call the row's
    exprdiff column shows (loss.grad(, optimize(, MLP(, ...) is made there."""
    examples = sections()
    for row in ROWS:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        anchor = re.search(r"\(#([\w-]+)\)", cells[3]).group(1)
        assert examples.get(anchor), f"{anchor}: no executed example for {cells[0]}"
        for span in re.findall(r"`([^`]+)`", cells[2]):
            calls = [name.split(".")[-1] + "(" for name in re.findall(r"[A-Za-z_][\w.]*(?=\()",
                                                                          span)]
            wanted = calls or [span]
            missing = [call for call in wanted if call not in examples[anchor]]
            assert missing == [], f"row {cells[0]}: {missing} not in section {anchor}"


def test_the_guide_and_readme_link_the_page():
    """docs/index.md and README's guide list both link the page."""
    assert "(coming_from.md)" in (DOCS / "index.md").read_text()
    assert "(docs/coming_from.md)" in (DOCS.parent / "README.md").read_text()
