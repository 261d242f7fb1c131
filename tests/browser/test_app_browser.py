"""End to end: the classroom app served by ``rnnviz app``, driven in headless Chromium.

For every page: it loads, shows no traceback or error text, every figure is drawn with
data (a plotly figure, or a view rnnviz draws as SVG/HTML: class ``rnnviz-view``, data marks
``data-v``), moving the main slider quickly there and back changes a figure and ends on the
starting drawing (no update lost in the browser), and bad input (typed text, a huge
number in a slider's read-out) gives a readable message or is refused while the page keeps
working. A screenshot of each page is saved under ``artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from rnnviz.lessons import LESSONS
from rnnviz.widgets.base import READY_JS, VIEWS_PREFIX

from .harness import CHROMIUM, ROOT, app_server, browser_page, page_errors

pytestmark = pytest.mark.browser

SHOTS = ROOT / "artifacts" / "browser"
# every notebook that exists (tests/test_notebooks.py checks that every lesson's notebook exists)
PAGES = ["index.ipynb"] + [ls.notebook for ls in LESSONS if (ROOT / "notebooks" / ls.notebook).exists()]


def _require_chromium():
    if not Path(CHROMIUM).exists():
        msg = f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does this when run as root)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    pytest.importorskip("playwright")


@pytest.fixture(scope="module")
def app_url():
    """``rnnviz app`` on a free loopback port, with its kernel pools filled before the tests start."""
    _require_chromium()
    with app_server("--pool-size", "1", log_path=ROOT / "artifacts" / "browser" / "app.log") as url:
        yield url


@pytest.fixture(scope="module")
def page():
    _require_chromium()
    with browser_page((1400, 1600)) as p:
        yield p


# per figure: one entry per trace (its data), then one for the layout's shapes
# (lesson 2 moves only its "now" boxes when t moves: a change of the layout, not of a trace)
PLOT_DATA_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el =>
    (el.data || []).map(tr => ({x: tr.x ? Array.from(tr.x).length : 0, y: tr.y ? Array.from(tr.y).length : 0,
                                 z: tr.z ? Array.from(tr.z).length : 0,
                                 sig: JSON.stringify([tr.x, tr.y, tr.z, tr.marker && tr.marker.color,
                                                      tr.text]).slice(0, 200000)})).concat([{
        x: 1, y: 0, z: 0, layout: true,
        sig: JSON.stringify((el.layout || {}).shapes || [])}])).concat(
    // views rnnviz draws itself (SVG/HTML, class rnnviz-view): x = the number of data marks (data-v)
    // (data-empty="1": a view that shows nothing yet on purpose, e.g. a gradient check not run)
    Array.from(document.querySelectorAll('.rnnviz-app .rnnviz-view')).map(el => [{
        x: el.querySelectorAll('[data-v]').length, y: 0, z: 0, empty: el.dataset.empty === '1',
        sig: el.innerHTML.slice(0, 200000)}]))"""


def _load(page, url: str, timeout_ms: int = 180_000) -> float:
    start = time.monotonic()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_function("() => { const r = document.querySelector('#rendered_cells');"
                           " return r && getComputedStyle(r).display !== 'none'; }", timeout=timeout_ms)
    # widgets render after the cells: wait until every app shows every figure and view it declares
    # (rnnviz-views-N, LessonApp.declare_views); a lesson page shows at least one, the index none
    min_plots = 0 if url.endswith("index.ipynb") else 1
    page.wait_for_function(READY_JS, arg=min_plots, timeout=timeout_ms)
    page.wait_for_timeout(1500)
    return time.monotonic() - start


def _plots(page):
    return page.evaluate(PLOT_DATA_JS)


def _wait_for_change(page, before, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _plots(page) != before:
            return True
        page.wait_for_timeout(200)
    return False


def _same_drawing(now, before) -> bool:
    """Equal figures, except traces an update cleared (lesson 4 clears its gradient check when the weights change)."""
    return len(now) == len(before) and all(
        len(a) == len(b) and all(x == y or not (x["x"] or x["y"] or x["z"]) for x, y in zip(a, b))
        for a, b in zip(now, before))


def _wait_for_same(page, before, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _same_drawing(_plots(page), before):
            return True
        page.wait_for_timeout(200)
    return False


@pytest.mark.parametrize("notebook", PAGES)
def test_page_loads_draws_and_reacts(app_url, page, notebook):
    """Each page at 1400 px: it loads, draws, reacts and recovers; its exercises are untouched; then at 1024 x 768
    (a projector) nothing is cut off or scrolls sideways and the control bars stay in view."""
    nb_path = ROOT / "notebooks" / notebook
    assert nb_path.exists(), f"{notebook} is listed as a lesson but notebooks/{notebook} does not exist"
    seconds = _load(page, f"{app_url}/voila/render/{notebook}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{nb_path.stem}.png"), full_page=True)
    assert not page_errors(page), f"error text on {notebook}: {page_errors(page)}"
    assert page.locator(".rnnviz-msg-error").count() == 0, page.locator(".rnnviz-msg-error").first.inner_text()
    assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0, "code cells are visible"
    title = json.loads(nb_path.read_text())["metadata"].get("title")
    assert title and page.title() == title
    if notebook == "index.ipynb":
        cards = page.locator(".rnnviz-card")
        assert cards.count() == len(LESSONS)
        _check_projector(page, notebook)
        return
    _check_exercises_untouched(page, notebook)
    # navigation: back to the index, and on to the next lesson
    links = [a.get_attribute("href") for a in page.locator("#rendered_cells a").all()]
    assert "index.ipynb" in links, "the lesson links back to the index"
    number = int(notebook[:2])
    if number < len(LESSONS):
        assert LESSONS[number].notebook in links, "the lesson links to the next one"
    declared = page.evaluate("""prefix => Array.from(document.querySelectorAll('.rnnviz-app.widget-box')).map(app => [
        Number((Array.from(app.classList).find(c => c.startsWith(prefix)) || prefix + '-1').slice(prefix.length)),
        app.querySelectorAll('.rnnviz-view').length + app.querySelectorAll('.js-plotly-plot').length])""", VIEWS_PREFIX)
    assert declared and all(n >= 1 and shown == n for n, shown in declared), \
        f"{notebook}: each app's declared views (rnnviz-views-N) against those shown: {declared}"
    plots = _plots(page)
    assert plots, f"{notebook} shows no figure (plotly or rnnviz-view)"
    for i, traces in enumerate(plots):
        assert any((t["x"] or t["y"] or t["z"] or t.get("empty")) and not t.get("layout") for t in traces), \
            f"figure {i} of {notebook} is drawn without data"
    # the main control: the first slider, moved with the keyboard as a student would: quickly there
    # and back. The figure must change, then end exactly as it started (a browser that missed an update
    # would stay at an intermediate drawing: see rnnviz/viz/live.py)
    handle = page.locator(".noUi-handle").first
    if page.locator(".noUi-handle").count():
        before = _plots(page)
        handle.focus()
        start = handle.get_attribute("aria-valuenow")
        there = "ArrowRight" if float(start) < float(handle.get_attribute("aria-valuemax")) else "ArrowLeft"
        back = "ArrowLeft" if there == "ArrowRight" else "ArrowRight"
        handle.press(there)
        assert _wait_for_change(page, before), f"moving the first slider of {notebook} changed no figure"
        for key in (back, there, back):
            handle.press(key)
            page.wait_for_timeout(30)
        assert handle.get_attribute("aria-valuenow") == start
        assert _wait_for_same(page, before), f"{notebook}: back at the start, the figure is not as it started"
        assert page.locator(".rnnviz-msg-error").count() == 0
        # a huge number typed into the slider's read-out is clamped, not an error
        readout = page.locator(".widget-readout").first
        readout.fill("1e12")
        readout.press("Enter")
        page.wait_for_timeout(800)
        assert not page_errors(page)
    _check_projector(page, notebook)
    print(f"{notebook}: ready in {seconds:.1f} s")


@pytest.mark.parametrize("notebook", PAGES[1:])
def test_bad_text_gives_a_message_and_the_page_keeps_working(app_url, page, notebook):
    _load(page, f"{app_url}/voila/render/{notebook}")
    boxes = page.locator(".rnnviz-app input[type=text], .rnnviz-app textarea")
    if boxes.count() == 0:
        pytest.skip(f"{notebook} has no text input (its sliders are checked for clamping above)")
    box = boxes.first
    original = box.input_value()
    shown = None
    for bad in ("", "zzqx ### ~~~ \u2603", "word " * 5000):
        box.fill(bad)
        box.press("Enter")
        try:
            page.wait_for_selector(".rnnviz-msg-error", timeout=15_000)
            shown = page.locator(".rnnviz-msg-error").first.inner_text()
            break
        except Exception:
            continue
    assert shown, f"no readable message for an empty, unknown or huge text in {notebook}"
    assert "Traceback" not in shown and len(shown) < 600
    assert not page_errors(page)
    before = _plots(page)
    box.fill(original)
    box.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.rnnviz-msg-error').length === 0", timeout=30_000)
    assert _plots(page), "figures are still there after recovering"
    del before


def test_the_landing_page_is_the_index(app_url, page):
    page.goto(app_url + "/")
    page.wait_for_selector(".rnnviz-card", timeout=60_000)
    assert page.url.endswith("/voila/render/index.ipynb")


def test_plotly_is_served_once_as_a_static_file(app_url):
    from rnnviz.viz.live import PLOTLY_JS_NAME

    body = urllib.request.urlopen(f"{app_url}/voila/static/{PLOTLY_JS_NAME}", timeout=30).read()
    assert len(body) > 1_000_000  # plotly.js for the explored views, fetched once and cached by the browser


# ---------------------------------------------------------------------------- lesson 3
def test_lesson_03_picture_fits_a_projector_at_the_largest_T_and_the_list_selects(app_url, page):
    """Lesson 3's picture (SVG in an HTML widget) at the largest T, in its widest architecture (2 layers,
    bidirectional), in a 1024 px window (a projector) and a 1400 px one: it fits the app box, scaled down, and
    nothing scrolls sideways (the picture's box, the app, the page); its legend stays in view. A node picked in
    the select list (the picture takes no clicks) turns red in the browser."""
    from rnnviz.viz.unrolling import COLOURS

    sizes_js = """() => {
        const box = document.querySelector('.rnnviz-unroll'), app = document.querySelector('.rnnviz-app');
        const page = document.querySelector('#rendered_cells') || document.scrollingElement;
        const legend = box.querySelector('.rnnviz-unroll-legend').getBoundingClientRect();
        return {box: [box.clientWidth, box.scrollWidth], app: [app.clientWidth, app.scrollWidth],
                page: [page.clientWidth, page.scrollWidth], legend_right: legend.right,
                box_right: box.getBoundingClientRect().right, app_right: app.getBoundingClientRect().right,
                svg: box.querySelector('svg').getBoundingClientRect().width,
                nodes: box.querySelectorAll('g[data-name=unrolled] g[data-node]').length,
                arrows: box.querySelectorAll('marker').length}; }"""
    size = page.viewport_size
    try:
        for width in (1024, 1400):
            page.set_viewport_size({"width": width, "height": 900})
            _load(page, f"{app_url}/voila/render/03-unrolling.ipynb")
            page.locator(".rnnviz-app .widget-toggle-button", has_text="2 layers, bidir.").first.click()
            readout = page.locator(".rnnviz-app .widget-readout").first
            readout.fill("12")
            readout.press("Enter")
            page.wait_for_function("() => document.querySelectorAll("
                                   "'.rnnviz-unroll g[data-name=unrolled] g[data-node]').length === 12 * 6",
                                   timeout=30_000)
            page.wait_for_timeout(500)
            s = page.evaluate(sizes_js)
            assert s["arrows"] == 6, s  # an arrowhead per role, plain and bold
            assert s["box"][1] <= s["box"][0] + 1, f"{width} px: the picture scrolls sideways: {s}"
            assert s["svg"] <= s["box"][0] + 1, f"{width} px: the picture is wider than its box: {s}"
            assert s["app"][1] <= s["app"][0] + 1, f"{width} px: the app box scrolls sideways: {s}"
            assert s["page"][1] <= s["page"][0] + 1, f"{width} px: the page scrolls sideways: {s}"
            assert s["legend_right"] <= s["box_right"] + 1 and s["box_right"] <= s["app_right"] + 1, s
        page.locator(".rnnviz-app select").first.select_option("x_2")
        page.wait_for_function("""colour => { const c = document.querySelector(
            '.rnnviz-unroll g[data-name=unrolled] g[data-node="x_2"] circle');
            return c && c.getAttribute('fill') === colour; }""", arg=COLOURS["selected"], timeout=30_000)
        assert not page_errors(page)
    finally:
        page.set_viewport_size(size)

# ---------------------------------------------------------------------------- a 1024 px projector
PROJECTOR = (1024, 768)
FIT_JS = """() => {
    const cells = document.querySelector('#rendered_cells');
    const out = {page: [cells.scrollWidth, cells.clientWidth], apps: [], views: [], boxes: []};
    for (const app of document.querySelectorAll('.rnnviz-app')) {
        const r = app.getBoundingClientRect();
        out.apps.push([app.scrollWidth, app.clientWidth]);
        for (const v of app.querySelectorAll('.rnnviz-view, .rnnviz-view svg, .rnnviz-view table, .js-plotly-plot'))
            out.views.push([v.dataset.name || v.tagName, Math.round(v.getBoundingClientRect().right), Math.round(r.right)]);
    }
    for (const b of document.querySelectorAll('.rnnviz-exercise-box'))
        out.boxes.push([b.scrollWidth, b.clientWidth]);
    return out; }"""


def _bar_stays_in_view(page):
    """For each app with a control bar and a view: with the app's last view scrolled to the bottom of the screen,
    where the bar is on the screen: (app index, top, bottom) in px."""
    results = []
    for i in range(page.locator(".rnnviz-app").count()):
        app = page.locator(".rnnviz-app").nth(i)
        if app.locator(".rnnviz-controls").count() == 0:
            continue
        views = app.locator(".rnnviz-view, .js-plotly-plot")
        if views.count() == 0:
            continue
        views.last.evaluate("v => v.scrollIntoView({block: 'end'})")
        page.wait_for_timeout(200)
        bar = app.locator(".rnnviz-controls").first.bounding_box()
        results.append((i, round(bar["y"]), round(bar["y"] + bar["height"])))
    return results


def _check_projector(page, notebook):
    """The page, already loaded, in a 1024 x 768 window: nothing scrolls sideways or is cut off, every control bar
    stays on screen with its app's last view in sight and covers under half of it."""
    size = page.viewport_size
    page.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
    try:
        page.wait_for_timeout(600)  # the new layout
        fit = page.evaluate(FIT_JS)
        page.screenshot(path=str(SHOTS / f"{notebook[:-6]}-1024.png"))
        assert fit["page"][0] <= fit["page"][1] + 1, f"{notebook}: the page scrolls sideways at 1024 px: {fit['page']}"
        for sw, cw in fit["apps"] + fit["boxes"]:
            assert sw <= cw + 1, f"{notebook}: an app or exercise box scrolls sideways ({sw} > {cw} px)"
        for name, right, app_right in fit["views"]:
            assert right <= app_right + 1, f"{notebook}: view {name} is cut off ({right} > {app_right} px)"
        for i, top, bottom in _bar_stays_in_view(page):
            assert -1 <= top and bottom <= PROJECTOR[1] + 1, f"{notebook}: app {i}'s control bar left the screen " \
                f"({top}..{bottom} px) with the app's last view in sight"
            assert bottom - top <= PROJECTOR[1] / 2, f"{notebook}: app {i}'s control bar covers half the screen"
    finally:
        page.set_viewport_size(size)


def _check_exercises_untouched(page, notebook):
    """One answer box per exercise, nothing checked and no answer given away before the student acts; a hint comes
    when asked for."""
    lesson = next(ls for ls in LESSONS if ls.notebook == notebook)
    boxes = page.locator(".rnnviz-exercise-box")
    assert boxes.count() == len(lesson.exercises()), f"{notebook}: {boxes.count()} answer boxes"
    text = page.inner_text("#rendered_cells")
    for said in ("not yet:", "correct:", "no answer yet", "solution:", "hint:"):
        assert said not in text, f"{notebook} shows {said!r} before the student answered"
    if boxes.count():
        boxes.first.locator("button", has_text="Hint").click()
        page.wait_for_function("() => document.querySelector('.rnnviz-exercise-box').innerText.includes('hint:')",
                               timeout=30_000)
