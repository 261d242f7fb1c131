"""Lesson 2's explored view in the classroom app, in headless Chromium: a plotly 3D figure that draws, rotates and updates.

One page load of lesson 2 at 1024 px (a projector's width), then a few actions: the trajectory is drawn with the
default sentence's data, fits the page without sideways scrolling, turns when dragged (the camera moves), shows a
new sentence after the button and after Enter, and answers bad text with a readable message while keeping its
figure. No page error, and no "[anywidget] Failed to initialize model." in the console.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rnnviz.viz.explore import point_label
from rnnviz.widgets.cellstep import DEFAULT_TEXT

from .harness import CHROMIUM, ROOT, app_server, browser_page, open_lesson, page_errors

pytestmark = pytest.mark.browser

PLOT = ".rnnviz-app .js-plotly-plot"
LABELS_JS = f"""() => {{ const el = document.querySelector('{PLOT}');
    return el && el.data && el.data[0] ? Array.from(el.data[0].text || []) : null; }}"""
EYE_JS = f"""() => {{ const el = document.querySelector('{PLOT}');
    const scene = el._fullLayout.scene;
    const cam = scene._scene && scene._scene.getCamera ? scene._scene.getCamera() : scene.camera;
    return [cam.eye.x, cam.eye.y, cam.eye.z]; }}"""


def _labels(text: str) -> list[str]:
    return [point_label(c, t) for t, c in enumerate(text, 1)]


@pytest.fixture(scope="module")
def lesson2():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    pytest.importorskip("playwright")
    # no pool: the page's kernel runs the notebook on request (the app starts in seconds, not a pool per notebook)
    with app_server("--pool-size", "0", timeout=120) as url, browser_page((1024, 1400)) as page:
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda m: problems.append(m.text) if "[anywidget]" in m.text and m.type == "error" else None)
        open_lesson(page, f"{url}/voila/render/02-recurrent-cell.ipynb", plots=2, timeout_ms=180_000)
        yield page, problems


def test_the_trajectory_draws_rotates_and_updates(lesson2):
    page, problems = lesson2
    assert not page_errors(page)
    assert page.locator(PLOT).count() == 2  # the path of h_t in 3D, then the loss over a long passage
    plot = page.locator(PLOT).first
    # drawn with the default sentence's data, and it fits 1024 px
    assert page.evaluate(LABELS_JS) == _labels(DEFAULT_TEXT)
    assert page.evaluate(f"() => document.querySelector('{PLOT}').data[0].x.length") == len(DEFAULT_TEXT)
    widths = page.evaluate(f"""() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
        document.querySelector('{PLOT}').getBoundingClientRect().right]""")
    assert widths[0] <= widths[1] and widths[2] <= widths[1], f"sideways scrolling at 1024 px: {widths}"

    # rotates: a drag across the scene moves the camera
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    before = page.evaluate(EYE_JS)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 160, y + 40, steps=12)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = page.evaluate(EYE_JS)
    assert max(abs(a - b) for a, b in zip(after, before)) > 0.05, f"the camera did not move: {before} -> {after}"

    # updates: a new sentence after the button, another after Enter
    box_input = page.locator(".rnnviz-app:has(.js-plotly-plot) .widget-text input").first
    for text, submit in (("the cat sat", "button"), ("Down the hole", "enter")):
        box_input.fill(text)
        if submit == "button":
            page.locator(".rnnviz-app button", has_text="Draw trajectory").click()
        else:
            box_input.press("Enter")
        page.wait_for_function(f"() => (({LABELS_JS})() || []).join('|') === {json.dumps('|'.join(_labels(text)))}",
                               timeout=30_000)
        assert page.evaluate(f"() => document.querySelector('{PLOT}').data[0].x.length") == len(text)

    # bad text: a readable message beside the box, the figure keeps the last good sentence
    box_input.fill("héllo")
    page.locator(".rnnviz-app button", has_text="Draw trajectory").click()
    error = page.locator(".rnnviz-app:has(.js-plotly-plot) .rnnviz-msg-error")
    error.wait_for(timeout=30_000)
    assert "'é'" in error.inner_text()
    assert page.evaluate(LABELS_JS) == _labels("Down the hole")
    assert not problems, problems
    page.locator(".rnnviz-app:has(.js-plotly-plot)").first.screenshot(path=str(_shots() / "explore-1024.png"))


def _shots() -> Path:
    folder = ROOT / "artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_loss_over_a_passage_zooms_and_redraws_on_its_button(lesson2):
    """The second explored view: a drag on the chart zooms the time axis; the button reads another passage."""
    page, problems = lesson2
    app = page.locator(".rnnviz-app:has(.js-plotly-plot)").nth(1)
    plot = app.locator(".js-plotly-plot")
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    shown = "el => [el._fullData[0]._length, el._fullLayout.xaxis.range[0], el._fullLayout.xaxis.range[1]]"
    n, lo, hi = plot.evaluate(shown)
    assert n == 2000 and (lo, hi) == (0.5, 400.5)
    box = plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 250, box["y"] + 110, steps=8)
    page.mouse.up()
    page.wait_for_timeout(500)
    _, lo2, hi2 = plot.evaluate(shown)
    assert lo2 > lo and hi2 < hi, f"dragging did not zoom in: {(lo, hi)} -> {(lo2, hi2)}"
    readout = app.locator(".widget-readout").first  # length
    readout.fill("500")
    readout.press("Enter")
    page.wait_for_timeout(500)
    assert plot.evaluate(shown)[0] == 2000, "a slider alone must not redraw"
    app.locator("button", has_text="Draw the passage").click()
    page.wait_for_function("el => el._fullData[0]._length === 500", arg=plot.element_handle(), timeout=30_000)
    assert not problems, problems
