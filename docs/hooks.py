"""mkdocs hooks for the stagematch site (listed under ``hooks:`` in mkdocs.yml).

The package's docstrings use Sphinx cross-reference roles (``:class:`~stagematch.Result```),
which mkdocstrings renders literally; this turns them into plain code spans, with ``~`` keeping
only the last component as Sphinx does.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|const):<code>(~?)([^<]*)</code>")


def _code(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if short else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    """Sphinx roles in rendered docstrings become code spans."""
    return _ROLE.sub(_code, html)
