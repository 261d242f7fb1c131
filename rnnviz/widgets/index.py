"""The landing page: one card per lesson, in order."""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as W

from ..lessons import LESSONS
from .base import CSS

__all__ = ["lesson_cards"]

CARD_CSS = """
<style>
.rnnviz-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px; max-width: 1200px; }
.rnnviz-card { display: block; border: 1px solid #d1d5db; border-radius: 8px; padding: 14px 16px; color: inherit;
               text-decoration: none; background: #fff; }
.rnnviz-card:hover { border-color: #2563eb; box-shadow: 0 2px 8px rgba(37, 99, 235, 0.15); }
.rnnviz-card .num { color: #2563eb; font-weight: 600; font-size: 14px; }
.rnnviz-card .title { font-size: 18px; font-weight: 600; margin: 4px 0 6px 0; }
.rnnviz-card .summary { color: #444; font-size: 14.5px; }
.rnnviz-card.missing { opacity: 0.5; pointer-events: none; }
</style>
"""


def lesson_cards(notebook_dir: str | Path | None = None) -> W.HTML:
    """An HTML widget with a card linking each lesson (relative links: they work in Voila and JupyterLab).

    Lessons whose notebook is missing from ``notebook_dir`` (when given) are greyed out.
    """
    cards = []
    for lesson in LESSONS:
        missing = notebook_dir is not None and not (Path(notebook_dir) / lesson.notebook).exists()
        cards.append(
            f'<a class="rnnviz-card{" missing" if missing else ""}" href="{html.escape(lesson.notebook)}">'
            f'<div class="num">Lesson {lesson.number}</div><div class="title">{html.escape(lesson.title)}</div>'
            f'<div class="summary">{html.escape(lesson.summary)}</div></a>'
        )
    out = W.HTML(CSS + CARD_CSS + '<div class="rnnviz-app rnnviz-cards">' + "".join(cards) + "</div>")
    out.add_class("rnnviz-index")
    return out
