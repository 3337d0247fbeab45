"""Reading `to_dot` output back: each box's cell texts, keyed by node, for the tests."""

import html
import re

_BOX = re.compile(r"^  n(\d+) \[label=<(.*)>\];$")


def boxes_of(source: str, nodes: list) -> dict:
    """``{node: [cell text, ...]}`` for the boxes of ``source``, drawn from ``nodes``
    (the expression's topological order, which numbers the boxes)."""
    found = {}
    for line in source.splitlines():
        if match := _BOX.match(line):
            cells = re.findall(r"<td>(.*?)</td>", match.group(2))
            found[nodes[int(match.group(1))]] = [
                html.unescape(re.sub("<[^>]+>", "", cell.replace("<br/>", " "))) for cell in cells]
    return found


def framed(source: str, nodes: list) -> set:
    """The nodes whose boxes are highlighted (an orange frame)."""
    return {nodes[int(match.group(1))] for line in source.splitlines()
            if (match := _BOX.match(line)) and 'border="3"' in match.group(2).split(">")[0]}
