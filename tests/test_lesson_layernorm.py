"""Lesson 7 (layer normalization): its math against the core, its exercises' wrong answers, and the slips a class found.

The expected numbers are the chapter's formula written out here, or the core's cells, networks and trainer
called directly; never the lesson's own results.
"""

import json
import re
from pathlib import Path
import numpy as np
import pytest
from rnnviz.core.cells import LayerNormRNNCell, VanillaRNNCell
from rnnviz.core.network import Network
from rnnviz.core.optim import Adam
from rnnviz.core.train import Trainer
from rnnviz.exercises import layernorm as ex7
from rnnviz.lessonmath import layernorm as lm
from rnnviz.lessons import LESSONS
from rnnviz.viz.svg import parse_view
from rnnviz.widgets.layernorm import LayerNormStepApp
from rnnviz.viz.svg import VIEW_CLASS, marks
from rnnviz.widgets.layernorm import LayerNormSequenceApp, LayerNormTrainingApp
from rnnviz.viz.layernorm import SequenceTrace, StepNumbers, sequence_html, step_html, training_html

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "07-layer-norm.ipynb"


def _chapter(a, gamma=1.0, beta=0.0):
    """h_t = tanh(gamma / sigma_t * (a_t - u_t) + beta), u_t and sigma_t as the chapter writes them."""
    a = np.asarray(a, dtype=float)
    p = a.size
    u = a.sum() / p
    sigma = np.sqrt((a ** 2).sum() / p - u ** 2)
    return u, sigma, np.tanh(gamma / sigma * (a - u) + beta)


# =========================================================================== lesson math
def test_layer_norm_is_the_chapters_formula_and_the_cores_cell():
    a, gamma, beta = np.array([1.0, 2.0, 3.0, 6.0]), np.array([2.0, 1.0, 0.5, 1.5]), np.array([0.5, 0.0, -0.2, 0.1])
    n = lm.layer_norm(a, gamma, beta)
    u, sigma, h = _chapter(a, gamma, beta)
    assert n.u == 3.0 and n.sigma == pytest.approx(np.sqrt(3.5), rel=1e-12)  # (4 + 1 + 0 + 9) / 4, not / 3
    assert (u, sigma) == pytest.approx((n.u, n.sigma), rel=1e-12)
    np.testing.assert_allclose(n.z, (a - 3.0) / np.sqrt(3.5), rtol=1e-12)
    np.testing.assert_allclose(n.s, gamma * n.z + beta, rtol=1e-12)
    np.testing.assert_allclose(n.h, h, rtol=1e-12)
    (h_cell,), _ = LayerNormRNNCell(4, 4, eps=0.0).step_forward(
        {"W_xh": np.eye(4), "W_hh": np.zeros((4, 4)), "gamma": gamma, "beta": beta}, a[None, :], (np.zeros((1, 4)),))
    np.testing.assert_array_equal(n.h, h_cell[0])


@pytest.mark.parametrize("k", [0.01, 3.0, 1e4])
def test_layer_norm_does_not_see_the_scale_of_a_t(k):
    a = np.array([0.4, -0.9, 1.3, 0.1, -0.6])
    np.testing.assert_allclose(lm.layer_norm(k * a, 1.5, 0.2).h, lm.layer_norm(a, 1.5, 0.2).h, atol=1e-12)
    assert lm.layer_norm(k * a).sigma == pytest.approx(k * lm.layer_norm(a).sigma, rel=1e-12)


def test_the_step_setup_is_both_cells_of_the_core_on_the_scaled_weights():
    setup = lm.StepSetup.make()
    n = setup.numbers(7.0, "W_hh only", 1.5, -0.3)
    W_xh, W_hh = setup.base["W_xh"], 7.0 * setup.base["W_hh"]  # "W_hh only": W_xh keeps its scale
    p, d = W_xh.shape
    a = setup.x @ W_xh.T + setup.h_prev @ W_hh.T  # the chapter's a_t, written out
    (h_v,), _ = VanillaRNNCell(d, p).step_forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(p)}, setup.x,
                                                  (setup.h_prev,))
    np.testing.assert_allclose(n.a, a[0], rtol=1e-12)
    np.testing.assert_array_equal(n.h_vanilla, h_v[0])
    u, sigma, h = _chapter(a[0], 1.5, -0.3)
    assert n.mu == pytest.approx(u, rel=1e-12) and n.sigma == pytest.approx(np.sqrt(sigma ** 2 + 1e-6), rel=1e-12)
    np.testing.assert_allclose(n.h_layernorm, h, atol=1e-6)  # the core's eps = 1e-6 under the root
    assert lm.saturated_units(n.h_vanilla) == int(np.sum(1 - h_v[0] ** 2 < 0.05))


@pytest.mark.parametrize("call, words", [
    (lambda s: s.params(25.0), "weight scale k"),
    (lambda s: s.params(float("nan")), "weight scale k"),
    (lambda s: s.params(1.0, "both"), "scale"),
    (lambda s: s.params(1.0, gain=0.0), "gain"),
    (lambda s: s.params(1.0, bias=2.0), "bias"),
])
def test_the_step_setup_refuses_values_outside_the_lessons_ranges(call, words):
    with pytest.raises(ValueError, match=words):
        call(lm.StepSetup.make())


def test_the_sequence_state_is_the_cores_networks():
    setup = lm.SequenceSetup.make()
    state = lm.sequence_state(setup, 5.0, 0.5)
    for kind in lm.KINDS:
        params = setup.params(kind, 5.0, 0.5)
        assert np.array_equal(params["layer0.fwd.W_hh"], 5.0 * setup.base["W_hh"])
        assert np.max(np.abs(np.linalg.eigvals(params["layer0.fwd.W_hh"]))) == pytest.approx(5.0, rel=1e-9)
        net = Network(4, 32, 4, cell=kind)
        ev = net.evaluate(params, setup.X, setup.targets, target_mask=setup.last_only)
        h = ev.forward.hidden["layer0.fwd"][0]
        tr = state.traces[kind]
        np.testing.assert_allclose(tr.h, np.linalg.norm(h, axis=1), rtol=1e-12)
        np.testing.assert_allclose(tr.grad, ev.backward.dh_norms()["layer0.fwd"], rtol=1e-12)
        assert state.mean_slopes[kind] == pytest.approx(np.mean(1 - h ** 2), rel=1e-12)
        assert state.ratios[kind] == pytest.approx(tr.grad[0] / tr.grad[-1], rel=1e-12)
    assert "layer0.fwd.b_h" in setup.params("vanilla", 1.0, 0.5) and not np.any(setup.params("vanilla", 1.0, 0.5)["layer0.fwd.b_h"])
    with pytest.raises(ValueError, match="network"):
        lm.network_params(setup.base, "lstm", radius=1.0)
    with pytest.raises(ValueError, match="spectral radius"):
        setup.params("vanilla", 0.0, 0.5)


def test_training_both_is_the_cores_trainer_from_one_start():
    setup = lm.TrainingSetup.make(steps=6)
    runs = lm.train_both(setup, 4.0, 0.03)
    for kind in lm.KINDS:
        ref = Trainer(Network(4, 24, 4, cell=kind), setup.params(kind, 4.0), Adam(lr=0.03)).run(setup.batches, 6)
        np.testing.assert_allclose(runs.runs[kind].losses, ref.losses, rtol=1e-12)
        assert runs.final[kind] == pytest.approx(np.mean(ref.losses[-10:]), rel=1e-12)
    assert setup.chance == pytest.approx(np.log(4))
    with pytest.raises(ValueError, match="learning rate"):
        lm.train_both(setup, 4.0, 0.02)
    with pytest.raises(ValueError, match="spectral radius"):
        lm.train_both(setup, 9.0, 0.01)


# =========================================================================== exercises
def _typed(values, decimals=3):
    """Numbers as a student types them in the page's boxes."""
    return [f"{v:.{decimals}f}" for v in values]


LAYER_NORM_SLIPS = [
    (lambda a, g, b: np.tanh(g * (a - a.mean()) / a.std(ddof=1) + b), "sigma_t", "not p − 1"),
    (lambda a, g, b: np.tanh(g * a / np.sqrt(np.mean(a * a)) + b), "u_t", "subtract u<sub>t</sub>"),
    (lambda a, g, b: np.tanh(g * a / a.std() + b), "u_t", "subtract u<sub>t</sub>"),
    (lambda a, g, b: np.tanh(g * (a - a.mean()) / np.sqrt(np.mean(a * a)) + b), "sigma_t", "spread around the mean"),
    (lambda a, g, b: np.tanh(g * (a - a.mean()) / a.var() + b), "sigma_t", "square root of the variance"),
    (lambda a, g, b: np.tanh(g * (a - a.mean()) + b), "sigma_t", "divide by σ"),
    (lambda a, g, b: g * (a - a.mean()) / a.std() + b, "tanh", "tanh of γ ⊙ z + β"),
    (lambda a, g, b: (a - a.mean()) / a.std(), "tanh", "this is z"),
    (lambda a, g, b: np.tanh(a), "normalization", "vanilla cell"),
    (lambda a, g, b: np.tanh((a - a.mean()) / a.std() + b), "gamma", "gain"),
    (lambda a, g, b: np.tanh((a - a.mean()) / (g * a.std()) + b), "gamma", "do not divide"),
    (lambda a, g, b: np.tanh(g * (a - a.mean()) / a.std()), "beta", "bias"),
    (lambda a, g, b: np.tanh(g * (a - a.mean() + b) / a.std()), "beta", "not before"),
    (lambda a, g, b: np.tanh(g * (a - a.mean()) / a.std()) + b, "beta", "inside tanh"),
]


def _answer_words(e):
    """Pieces of the right answer that a "not yet" must never contain."""
    h = ex7.reference_layer_norm(*ex7.WEB_CASE)
    return [f"{v:.3f}".replace("-", "\u2212") for v in h] + [f"{v:.3f}" for v in h] + [f"{v:.4f}" for v in h]


def test_layer_norm_the_reference_is_right_in_code_and_typed_to_three_decimals():
    e = ex7.layer_norm
    assert e.judge(ex7.reference_layer_norm).correct
    assert e.judge(_typed(e.reference_value())).correct  # what a student types from a calculator
    assert e.judge(lambda a, g, b: lm.layer_norm(a, g, b, eps=1e-8).h).correct  # an eps under the root is fine


@pytest.mark.parametrize("slip, term, words", LAYER_NORM_SLIPS)
def test_layer_norm_names_the_wrong_term_in_code_and_in_the_page(slip, term, words):
    e = ex7.layer_norm
    for answer in (slip, _typed(slip(*ex7.WEB_CASE))):  # JupyterLab: the function; the page: its values typed
        fb = e.judge(answer)
        assert not fb.correct and fb.answered and fb.wrong == term and words in fb.text, (answer, fb)
        assert not any(w in fb.text for w in _answer_words(e)), f"the 'not yet' gives the answer away: {fb.text}"


def test_layer_norm_the_usual_slips_are_told_apart_in_the_page():
    """Typed to three decimals, every slip on the web case is closer to itself than to any other slip or to the answer."""
    cases = [np.asarray(w, dtype=float) for w, _, _ in ex7._slips(ex7.WEB_CASE)]
    cases.append(ex7.reference_layer_norm(*ex7.WEB_CASE))
    gaps = [np.max(np.abs(x - y)) for i, x in enumerate(cases) for y in cases[i + 1:]]
    assert min(gaps) > 4 * ex7.TOLERANCE


def test_layer_norm_other_wrong_answers_name_what_is_wrong_without_the_answer():
    e = ex7.layer_norm
    fb = e.judge(lambda a, g, b: a[:2])
    assert fb.wrong == "shape" and "(4,)" in fb.text
    fb = e.judge(lambda a, g, b: 1 / 0)
    assert not fb.correct and "ZeroDivisionError" in fb.text

    def fixed_p(a, g, b):  # right for p = 4 only
        u = a.sum() / 4
        return np.tanh(g / np.sqrt((a ** 2).sum() / 4 - u ** 2) * (a - u) + b)

    fb = e.judge(fixed_p)
    assert fb.wrong == "p" and "a.size" in fb.text
    almost = e.reference_value().copy()
    almost[[1, 3]] += 0.05
    fb = e.judge(_typed(almost))
    assert not fb.correct and "units 2 and 4" in fb.text
    assert not any(w in fb.text for w in _answer_words(e))
    fb = e.judge(["0.1", "", "0.2", "0.3"])
    assert not fb.correct and "every entry" in fb.text


def test_layer_norm_placeholders_are_not_judged():
    def not_written(a, gamma, beta):
        ...

    for answer in (not_written, None, ..., ["", "", "", ""]):
        fb = ex7.layer_norm.judge(answer)
        assert not fb.answered and not fb.correct


@pytest.mark.parametrize("answer, term, words", [
    ([40, 2], "u_t", "sum divided by p"),
    ([4.5, 2], "u_t", "median"),
    ([5.4, 2], "u_t", "every time it occurs"),
    ([6, 2], "u_t", "the mean of the p = 8 units"),
    ([5, 2.138], "sigma_t", "not p − 1"),
    ([5, 4], "sigma_t", "square root"),
    ([5, 5.385], "sigma_t", "subtract u<sub>t</sub><sup>2</sup> under the root"),
    ([5, 29], "sigma_t", "then take the square root"),
    ([5, 1.5], "sigma_t", "not the mean distance"),
    ([5, 3], "sigma_t", "u<sub>t</sub> is right"),
])
def test_stats_names_the_wrong_term_and_never_gives_the_answer(answer, term, words):
    for given in (answer, [str(v) for v in answer]):  # code, and the page's boxes
        fb = ex7.stats.judge(given)
        assert not fb.correct and fb.wrong == term and words in fb.text, fb
        # the old check said "their sum is 40": no "not yet" may hold the sum, the mean or the spread
        assert not any(w in fb.text for w in ("40", "232", "= 5", "= 2", "√4", "their sum is")), fb.text


def test_stats_right_answers_and_placeholders():
    assert ex7.stats.judge([5, 2]).correct and ex7.stats.judge(["5", "2.0"]).correct
    assert ex7.stats.judge((5.0, 2.001)).correct
    for placeholder in ([..., ...], None, ..., ["", ""], "  "):
        fb = ex7.stats.judge(placeholder)
        assert not fb.answered, placeholder
    fb = ex7.stats.judge([5, ...])  # u_t answered, sigma_t not yet
    assert not fb.answered and "σ" in fb.text
    assert ex7.stats.judge([1, 2, 3]).wrong == "shape"
    assert "sum" in ex7.stats.hint().text or "add" in ex7.stats.hint().text


@pytest.mark.parametrize("answer, term", [("both", "b_h"), ("B only", "u_t"), ("neither", "u_t")])
def test_bias_names_the_wrong_term_and_never_gives_the_answer(answer, term):
    fb = ex7.bias.judge(answer)
    assert not fb.correct and fb.wrong == term
    assert "A only" not in fb.text
    assert ex7.bias.judge("A only").correct and ex7.bias.judge(" a ONLY ").correct
    assert "one of" in ex7.bias.judge("C").text


# =========================================================================== slip: b_h is not simply "cancelled"
def test_a_per_unit_b_h_changes_h_t_a_constant_one_does_not():
    """The notebook said subtracting u_t cancels b_h. Only b_h's mean is removed: a constant b_h leaves h_t as it was,
    a per-unit b_h does not; what is left of it (b_h minus its mean) is divided by sigma_t, so its effect fades as
    a_t grows, while beta's does not."""
    a = np.array([1.0, 2.0, 3.0, 6.0])
    constant, per_unit = np.full(4, 0.7), np.array([0.5, 0.0, 0.0, -0.5])
    h = lm.layer_norm(a).h
    np.testing.assert_allclose(lm.layer_norm(a + constant).h, h, atol=1e-12)
    assert np.max(np.abs(lm.layer_norm(a + per_unit).h - h)) > 0.05
    # only the mean goes: b_h and b_h minus its mean give the same h_t
    shifted = per_unit + 0.3
    np.testing.assert_allclose(lm.layer_norm(a + shifted).h, lm.layer_norm(a + per_unit).h, atol=1e-12)
    # what is left is divided by sigma_t: z = (a_t - mean(a_t) + b_h - mean(b_h)) / sigma_t(a_t + b_h)
    n = lm.layer_norm(a + shifted)
    np.testing.assert_allclose(n.z, (a - a.mean() + per_unit) / n.sigma, rtol=1e-12)
    # as the weights grow (a_t -> k a_t) its effect fades like 1/k; beta's effect stays
    moved = [np.max(np.abs(lm.layer_norm(k * a + per_unit).h - lm.layer_norm(k * a).h)) for k in (1, 10, 100)]
    assert moved[0] > 5 * moved[1] > 25 * moved[2] > 0
    by_beta = [np.max(np.abs(lm.layer_norm(k * a, beta=per_unit).h - lm.layer_norm(k * a).h)) for k in (1, 10, 100)]
    np.testing.assert_allclose(by_beta, by_beta[0], rtol=1e-9)
    assert by_beta[0] > 0.2


def _markdown(nb=NOTEBOOK):
    cells = json.loads(nb.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_the_notebook_says_only_the_mean_of_b_h_is_removed():
    text = " ".join(_markdown().split())
    assert "would cancel it" not in text and "takes its place" not in text
    assert "lose only its mean" in text and "divided by $\\sigma_t$" in text
    assert "$\\beta$, added after the normalization" in text


# =========================================================================== slip: no promise of a missing lesson
def test_the_notebook_promises_no_lesson_that_does_not_exist():
    text = " ".join(_markdown().split())
    for phrase in ("later lesson", "next lesson", "coming lesson", "LSTM", "GRU"):
        assert phrase.lower() not in text.lower(), f"the notebook says {phrase!r}"
    numbers = {ls.number for ls in LESSONS}
    for n in re.findall(r"[Ll]essons? (\d+)", text):
        assert int(n) in numbers, f"the notebook refers to lesson {n}, which does not exist"
    for target in re.findall(r"\]\(([^)#]+\.ipynb)\)", text):
        assert (NOTEBOOK.parent / target).exists(), f"the notebook links to {target}, which does not exist"


# =========================================================================== slip: the step view fits a projector
#: the width of an app box in a 1024 px wide Voila page
PROJECTOR_BOX = 994


def _grid_natural_width(html):
    """The natural width of the step view's grid: per column the widest chart at its natural size, plus the gaps."""
    root = parse_view(html)
    grid = next(el for el in root.iter() if "display:grid" in (el.get("style") or ""))
    style = grid.get("style")
    columns = int(re.search(r"repeat\((\d+), auto\)", style).group(1))
    gap = float(re.search(r"gap:\s*[\d.]+px\s+([\d.]+)px", style).group(1))
    widths = [0.0] * columns
    col = 0
    for child in grid:
        span = child.get("style") or ""
        if "1 / -1" in span:  # a row title across every column
            col = 0
            continue
        n = int(re.search(r"span (\d+)", span).group(1)) if "span" in span else 1
        svgs = [float(s.get("width")) for s in child.iter() if s.tag.endswith("svg")]
        if svgs and n == 1:
            widths[col] = max(widths[col], max(svgs))
        col = (col + n) % columns
    return sum(widths) + gap * (columns - 1), widths


@pytest.mark.parametrize("scale", [1.0, 20.0])
def test_the_step_view_fits_a_1024_px_projector_at_its_natural_size(scale):
    """At 1024 px the step view was 1082 px wide: the tanh' panels, the point of the lesson, were cut off."""
    app = LayerNormStepApp(scale=scale)
    width, columns = _grid_natural_width(app.step_view.value)
    assert len(columns) == 6 and all(w > 0 for w in columns)  # six stages, tanh' the last
    assert width <= PROJECTOR_BOX - 20, f"the step view is {width:.0f} px wide at its natural size"
    assert min(columns) >= 140  # each chart still readable (no chart squeezed to fit)


STEP_VIEW_JS = """() => {
    const box = document.querySelector('#box'), view = box.querySelector('.rnnviz-view');
    const right = box.getBoundingClientRect().right;
    const charts = Array.from(view.querySelectorAll('svg[data-name$="_chart"]'));
    return {box: [box.clientWidth, box.scrollWidth], view: [view.clientWidth, view.scrollWidth],
            overflow: charts.filter(s => s.getBoundingClientRect().right > right + 0.5).map(s => s.dataset.name),
            shrunk: charts.filter(s => s.getBoundingClientRect().width < 0.98 * s.width.baseVal.value)
                          .map(s => s.dataset.name),
            dphi: charts.filter(s => s.dataset.name.startsWith('dphi')).length}; }"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [PROJECTOR_BOX, 1370])
def test_the_step_view_in_chromium_fits_the_app_box_without_scrolling_or_shrinking(width):
    from rnnviz._chromium import chromium_page
    from rnnviz.widgets.base import CSS

    app = LayerNormStepApp(scale=20.0)
    page_html = (CSS + f'<div id="box" class="rnnviz-app" style="width:{width}px; font-size:15px; '
                 f'font-family:sans-serif; overflow:auto">{app.step_view.value}</div>')
    with chromium_page((width + 30, 900)) as page:
        page.set_content(page_html)
        s = page.evaluate(STEP_VIEW_JS)
    assert s["dphi"] == 2, s  # both tanh' panels drawn
    assert s["box"][1] <= s["box"][0] and s["view"][1] <= s["view"][0], f"the step view scrolls sideways: {s}"
    assert not s["overflow"], f"charts cut off at {width} px: {s}"
    assert not s["shrunk"], f"charts scaled down at {width} px (hard to read): {s}"


ROW_JS = """() => {
    const box = document.querySelector('#box');
    const charts = Array.from(box.querySelectorAll('svg[data-name$="_chart"]'));
    return {box: [box.clientWidth, box.scrollWidth],
            charts: charts.map(s => { const r = s.getBoundingClientRect();
                return [s.dataset.name, Math.round(r.top), Math.round(r.right), Math.round(r.width), s.width.baseVal.value]; })}; }"""


@pytest.mark.browser
def test_the_three_norms_of_the_sequence_view_share_one_row_at_1024_px():
    """Seen at 1024 px: the first panel's long title widened it, and the gradient panel wrapped onto a second row."""
    from rnnviz._chromium import chromium_page
    from rnnviz.widgets.base import CSS
    from rnnviz.widgets.layernorm import LayerNormSequenceApp

    html = LayerNormSequenceApp().sequence_view.value
    with chromium_page((PROJECTOR_BOX + 30, 900)) as page:
        page.set_content(CSS + f'<div id="box" class="rnnviz-app" style="width:{PROJECTOR_BOX}px; font-size:15px; '
                         f'font-family:sans-serif; overflow:auto">{html}</div>')
        s = page.evaluate(ROW_JS)
    names = [c[0] for c in s["charts"]]
    assert names == ["pre_chart", "h_chart", "grad_chart"], s
    tops = [c[1] for c in s["charts"]]
    assert max(tops) - min(tops) < 20, f"the three norms are not in one row: {s}"  # titles of 1 or 2 lines
    assert all(c[3] >= 0.98 * c[4] for c in s["charts"]), f"a chart is scaled down: {s}"
    assert s["box"][1] <= s["box"][0] and max(c[2] for c in s["charts"]) <= PROJECTOR_BOX + 8, s


def test_the_training_view_draws_the_loss_of_guessing():
    """The text compares the final losses with guessing: the chart shows that line too."""
    import math

    from rnnviz.viz.svg import marks
    from rnnviz.widgets.layernorm import LayerNormTrainingApp

    app = LayerNormTrainingApp(steps=5)
    app.train_button.click()
    view = app.training_view.value
    np.testing.assert_allclose(marks(view, "chance"), [math.log(app.setup.symbols)], rtol=1e-12)
    assert "chance (guessing) 1.39" in view


# =========================================================================== the apps and their views
# --------------------------------------------------------------------------- one step
def _core_step(app):
    """Both cells on the app's x_t and h_{t-1}, with its weights scaled as the controls say."""
    k, p = app.scale.value, app.base["W_hh"].shape[0]
    W_xh = app.base["W_xh"] * (k if app.scaled.value == "W_xh and W_hh" else 1.0)
    W_hh = app.base["W_hh"] * k
    d = W_xh.shape[1]
    params = {"W_xh": W_xh, "W_hh": W_hh, "gamma": np.full(p, app.gain.value), "beta": np.full(p, app.bias.value)}
    (h_ln,), c = LayerNormRNNCell(d, p).step_forward(params, app.x, (app.h_prev,))
    (h_v,), _ = VanillaRNNCell(d, p).step_forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(p)}, app.x, (app.h_prev,))
    a = app.x @ W_xh.T + app.h_prev @ W_hh.T  # the chapter's a_t, written out
    return a[0], c, h_ln[0], h_v[0]


def test_step_view_draws_the_cores_numbers():
    app = LayerNormStepApp(gain=1.5, bias=0.2)
    html = app.step_view.value
    a, c, h_ln, h_v = _core_step(app)
    assert VIEW_CLASS in html and app.view_count() == 1 and list(app.figures()) == []
    np.testing.assert_allclose(marks(html, "a"), a, rtol=1e-12)
    assert marks(html, "mu")[0] == pytest.approx(a.mean(), rel=1e-12)
    assert marks(html, "sigma")[0] == pytest.approx(np.sqrt(a.var() + 1e-6), rel=1e-12)
    np.testing.assert_array_equal(marks(html, "z"), c.z[0])
    np.testing.assert_allclose(marks(html, "s"), 1.5 * c.z[0] + 0.2, rtol=1e-12)
    np.testing.assert_array_equal(marks(html, "h_layernorm"), h_ln)
    np.testing.assert_array_equal(marks(html, "h_vanilla"), h_v)


def test_the_scale_slider_saturates_the_vanilla_cell_and_leaves_layer_norm_unchanged():
    app = LayerNormStepApp()
    before = {name: marks(app.step_view.value, name) for name in ("a", "z", "h_layernorm", "h_vanilla", "dphi_vanilla")}
    assert "vanilla <b>0</b>" in app.summary.value  # k = 1: no unit saturated
    app.scale.value = 20.0
    html = app.step_view.value
    np.testing.assert_allclose(marks(html, "a"), 20.0 * before["a"], rtol=1e-12)  # a_t -> 20 a_t
    np.testing.assert_allclose(marks(html, "a"), _core_step(app)[0], rtol=1e-12)
    np.testing.assert_allclose(marks(html, "z"), before["z"], atol=2e-6)  # invariant (but for the core's eps)
    np.testing.assert_allclose(marks(html, "h_layernorm"), before["h_layernorm"], atol=2e-6)
    h_v = marks(html, "h_vanilla")
    np.testing.assert_array_equal(h_v, _core_step(app)[3])
    saturated = int(np.sum(1 - h_v ** 2 < 0.05))
    assert saturated >= 4 and np.all(np.abs(h_v) >= np.abs(before["h_vanilla"]))
    assert f"vanilla <b>{saturated}</b> of 6, layer norm <b>0</b> of 6" in app.summary.value


def test_scaling_w_hh_alone_is_not_a_pure_rescaling():
    app = LayerNormStepApp()
    app.scaled.value = "W_hh only"
    z1 = marks(app.step_view.value, "z")
    app.scale.value = 10.0
    html = app.step_view.value
    a, c, h_ln, _ = _core_step(app)
    np.testing.assert_allclose(marks(html, "a"), a, rtol=1e-12)
    np.testing.assert_array_equal(marks(html, "z"), c.z[0])
    assert np.max(np.abs(marks(html, "z") - z1)) > 0.05  # the direction of a_t changed, so z did
    assert np.max(np.abs(marks(html, "z"))) <= np.sqrt(5) + 1e-9  # still normalized: |z_i| <= sqrt(p - 1)


def test_gain_and_bias_move_what_enters_tanh():
    app = LayerNormStepApp()
    z = marks(app.step_view.value, "z")
    app.gain.value = 2.5
    app.bias.value = -0.5
    np.testing.assert_allclose(marks(app.step_view.value, "s"), 2.5 * z - 0.5, rtol=1e-12)
    np.testing.assert_allclose(marks(app.step_view.value, "h_layernorm"), np.tanh(2.5 * z - 0.5), rtol=1e-12)
    np.testing.assert_array_equal(marks(app.step_view.value, "z"), z)  # normalization does not depend on gamma, beta


def test_step_app_shows_a_readable_message_for_bad_values_and_recovers():
    app = LayerNormStepApp()
    shown = app.step_view.value
    app.scale.set_state({"value": float("nan")})  # what a comm message from a browser can do
    assert app.message.kind == "error" and "weight scale k" in app.message.text and "nan" in app.message.text
    assert app.step_view.value == shown, "the view was left as it was"
    app.scale.value = 5.0
    assert app.message.kind == "" and app.step_view.value != shown


# --------------------------------------------------------------------------- a sequence
def _core_sequence(app, kind):
    """||what enters tanh||, ||h_t||, ||dL_T/dh_t|| of the app's sequence, from a Network built here."""
    H, D = app.base["W_hh"].shape[0], app.base["W_xh"].shape[1]
    net = Network(D, H, D, cell=kind)
    params = app.params(kind)
    ev = net.evaluate(params, app.X, app.targets, target_mask=app.last_only)
    h = ev.forward.hidden["layer0.fwd"][0]
    steps = ev.forward.cache.layers[0]["fwd"].steps
    if kind == "layernorm":
        pre = np.array([np.linalg.norm(params["layer0.fwd.gamma"] * s.z[0] + params["layer0.fwd.beta"]) for s in steps])
    else:
        pre = np.linalg.norm(app.X[0] @ params["layer0.fwd.W_xh"].T
                             + np.vstack([np.zeros(H), h[:-1]]) @ params["layer0.fwd.W_hh"].T, axis=1)  # ||a_t||
    return pre, np.linalg.norm(h, axis=1), ev.backward.dh_norms()["layer0.fwd"]


def test_sequence_view_draws_the_cores_norms():
    app = LayerNormSequenceApp()
    html = app.sequence_view.value
    assert VIEW_CLASS in html and app.view_count() == 1
    for kind in ("vanilla", "layernorm"):
        pre, h, grad = _core_sequence(app, kind)
        np.testing.assert_allclose(marks(html, f"pre_{kind}"), pre, rtol=1e-12)
        np.testing.assert_allclose(marks(html, f"h_{kind}"), h, rtol=1e-12)
        np.testing.assert_allclose(marks(html, f"grad_{kind}"), grad, rtol=1e-12)


def test_a_large_w_hh_saturates_and_explodes_the_vanilla_network_but_not_the_layer_norm_one():
    app = LayerNormSequenceApp(radius=1.0)
    ln_h1 = marks(app.sequence_view.value, "h_layernorm")
    app.radius.value = 20.0
    html = app.sequence_view.value
    p = app.base["W_hh"].shape[0]
    # with gamma = 1 and beta = 0 what enters tanh is z_t, whose norm is sqrt(p) whatever the scale of a_t
    np.testing.assert_allclose(marks(html, "pre_layernorm"), np.sqrt(p), rtol=1e-5)
    assert np.min(marks(html, "pre_vanilla")[1:]) > 5 * np.sqrt(p)  # vanilla: a_t grows with W_hh
    assert app.mean_slopes["vanilla"] < 0.15 < 0.5 < app.mean_slopes["layernorm"]  # vanilla saturated
    grad_v, grad_ln = marks(html, "grad_vanilla"), marks(html, "grad_layernorm")
    assert grad_v[0] / grad_v[-1] > 1e6  # exploding
    assert 1e-2 < grad_ln[0] / grad_ln[-1] < 10  # in range
    # the layer-norm states keep their size
    np.testing.assert_allclose(np.mean(marks(html, "h_layernorm")), np.mean(ln_h1), rtol=0.1)
    np.testing.assert_allclose(marks(html, "grad_layernorm"), _core_sequence(app, "layernorm")[2], rtol=1e-12)


def test_sequence_app_refuses_a_bad_value_and_recovers():
    app = LayerNormSequenceApp()
    shown = app.sequence_view.value
    app.input_scale.set_state({"value": float("nan")})
    assert app.message.kind == "error" and "input scale" in app.message.text
    assert app.sequence_view.value == shown
    app.input_scale.value = 1.5
    assert app.message.kind == "" and app.sequence_view.value != shown


# --------------------------------------------------------------------------- training
def test_training_from_a_large_w_hh_the_layer_norm_network_learns_and_the_vanilla_one_does_not():
    app = LayerNormTrainingApp(radius=4.0, steps=150)
    assert 'data-empty="1"' in app.training_view.value and "train both" in app.training_summary.value
    app.train_button.click()
    html = app.training_view.value
    # the same runs, from the core's Trainer on the app's starting weights and batches
    for kind in ("vanilla", "layernorm"):
        ref = Trainer(app.nets[kind], app.params(kind), Adam(lr=0.01)).run(app.batches, 150)
        np.testing.assert_allclose(marks(html, f"loss_{kind}"), ref.losses, rtol=1e-12)
        np.testing.assert_allclose(marks(html, f"gnorm_{kind}"), ref.grad_norms, rtol=1e-12)
    loss_v, loss_ln = marks(html, "loss_vanilla"), marks(html, "loss_layernorm")
    assert np.mean(loss_ln[-10:]) < 0.05 < 0.8 < np.mean(loss_v[-10:])  # chance level is log 4 = 1.39
    assert f"layer norm <b>{np.mean(loss_ln[-10:]):.3g}</b>" in app.training_summary.value
    app.radius.value = 1.0  # a new start forgets the runs
    assert 'data-empty="1"' in app.training_view.value and app.runs["vanilla"] is None


def test_training_app_refuses_a_bad_value_and_recovers():
    app = LayerNormTrainingApp(steps=5)
    app.CLICK_GUARD = 0.0  # clicks here come faster than a person's: none may be dropped as a queued repeat
    app.radius.set_state({"value": float("nan")})
    assert app.message.kind == "error" and "spectral radius" in app.message.text
    app.train_button.click()  # training from a bad start is refused too, readably
    assert app.message.kind == "error" and app.runs["vanilla"] is None
    app.radius.value = 2.0
    app.train_button.click()
    assert app.message.kind == "" and len(marks(app.training_view.value, "loss_layernorm")) == 5


# =========================================================================== the views alone
EPS = 1e-6  # the core cell's default guard under the square root: sigma_t = sqrt(var + eps)


def _direct(a, gamma=1.0, beta=0.0, k=1.0):
    """Layer-norm cell params that make a_t = k * a exactly: W_xh = k I fed x_t = a, W_hh = 0."""
    a = np.asarray(a, dtype=float)
    p = a.size
    params = {"W_xh": k * np.eye(p), "W_hh": np.zeros((p, p)), "gamma": np.full(p, float(gamma)),
              "beta": np.full(p, float(beta))}
    return params, a[None, :], np.zeros((1, p))


def _step(params, x, h0):
    """Both cells one step from the same x_t and h_{t-1}: the numbers the step view draws."""
    p = h0.shape[1]
    (h_ln,), c = LayerNormRNNCell(x.shape[1], p).step_forward(params, x, (h0,))
    vanilla = {"W_xh": params["W_xh"], "W_hh": params["W_hh"], "b_h": np.zeros(p)}
    (h_v,), cv = VanillaRNNCell(x.shape[1], p).step_forward(vanilla, x, (h0,))
    s = params["gamma"] * c.z[0] + params["beta"]
    return StepNumbers(cv.a[0], h_v[0], float(c.mu[0, 0]), float(c.sigma[0, 0]), c.z[0], s, h_ln[0])


def _view(a, gamma=1.0, beta=0.0, k=1.0):
    params, x, h0 = _direct(a, gamma, beta, k)
    n = _step(params, x, h0)
    return n, step_html(n, params["gamma"], params["beta"])


def test_a_fixed_step_draws_the_chapters_numbers():
    # a = (1, 2, 3, 6): u_t = 3, sigma_t**2 = (4 + 1 + 0 + 9) / 4 = 3.5 (the chapter divides by p, not p - 1)
    n, html = _view([1.0, 2.0, 3.0, 6.0], gamma=2.0, beta=0.5)
    sigma = np.sqrt(3.5 + EPS)
    z = np.array([-2.0, -1.0, 0.0, 3.0]) / sigma
    assert marks(html, "mu").tolist() == [3.0] and marks(html, "a_line").tolist() == [3.0]
    assert marks(html, "sigma")[0] == pytest.approx(np.sqrt(3.5), rel=1e-6)
    np.testing.assert_array_equal(marks(html, "a"), [1.0, 2.0, 3.0, 6.0])
    np.testing.assert_array_equal(marks(html, "a_vanilla"), [1.0, 2.0, 3.0, 6.0])
    np.testing.assert_array_equal(marks(html, "centered"), [-2.0, -1.0, 0.0, 3.0])
    np.testing.assert_allclose(marks(html, "z"), z, rtol=1e-12)
    np.testing.assert_allclose(marks(html, "s"), 2.0 * z + 0.5, rtol=1e-12)
    np.testing.assert_allclose(marks(html, "h_layernorm"), np.tanh(2.0 * z + 0.5), rtol=1e-12)
    np.testing.assert_allclose(marks(html, "h_vanilla"), np.tanh([1.0, 2.0, 3.0, 6.0]), rtol=1e-12)
    np.testing.assert_allclose(marks(html, "dphi_layernorm"), 1 - np.tanh(2.0 * z + 0.5) ** 2, rtol=1e-12)
    np.testing.assert_allclose(marks(html, "dphi_vanilla"), 1 - np.tanh([1.0, 2.0, 3.0, 6.0]) ** 2, rtol=1e-12)
    # a pinned value, written out: unit 4 of z is 3 / sqrt(3.5) = 1.6035674514745464
    assert marks(html, "z")[3] == pytest.approx(1.6035674514745464, rel=1e-6)
    assert VIEW_CLASS in html and "1.871" in html  # sigma_t = sqrt(3.5), as the student reads it


def test_every_number_of_the_table_is_the_drawn_one():
    n, html = _view([0.5, -1.0, 2.0, 0.25, -0.75], gamma=1.5, beta=-0.2)
    table = next(el for el in parse_view(html).iter() if el.get("class") == "rnnviz-numbers")
    rows = [[td.text for td in tr.iter("td")] for tr in table.iter("tr") if list(tr.iter("td"))]
    assert len(rows) == 5 and all(len(r) == 11 for r in rows)
    to_float = np.vectorize(lambda s: float(s.replace("\u2212", "-")))
    values = to_float(np.array(rows))
    np.testing.assert_allclose(values[:, 1], marks(html, "a"), rtol=5e-4)
    np.testing.assert_allclose(values[:, 3], marks(html, "z"), rtol=5e-4)
    np.testing.assert_allclose(values[:, 7], marks(html, "h_layernorm"), rtol=5e-4)
    np.testing.assert_allclose(values[:, 9], marks(html, "h_vanilla"), rtol=5e-4)
    assert values[:, 4].tolist() == [1.5] * 5 and values[:, 5].tolist() == [-0.2] * 5


@pytest.mark.parametrize("k", [3.0, 50.0, 1e4])
def test_scaling_the_pre_activation_leaves_the_layer_norm_output_unchanged(k):
    a = [0.4, -0.9, 1.3, 0.1, -0.6, 0.8]
    _, base = _view(a, gamma=1.2, beta=0.1)
    _, big = _view(a, gamma=1.2, beta=0.1, k=k)
    np.testing.assert_allclose(marks(big, "a"), k * marks(base, "a"), rtol=1e-12)  # a_t -> k a_t
    np.testing.assert_allclose(marks(big, "sigma"), k * marks(base, "sigma"), rtol=1e-6)
    # equal but for the core's eps under the square root: |z(k a) - z(a)| <= |z| eps / (2 sigma**2), about 1e-6 here
    for name in ("z", "s", "h_layernorm", "dphi_layernorm"):
        np.testing.assert_allclose(marks(big, name), marks(base, name), rtol=0, atol=2e-6)
    _, bigger = _view(a, gamma=1.2, beta=0.1, k=10 * k)  # once (k sigma)**2 dwarfs eps the difference vanishes too
    for name in ("z", "s", "h_layernorm", "dphi_layernorm"):
        np.testing.assert_allclose(marks(bigger, name), marks(big, name), rtol=0, atol=3e-6 / k ** 2 + 1e-13)
    # the vanilla cell is not invariant: its units saturate, tanh' -> 0
    assert np.all(np.abs(marks(big, "h_vanilla")) > np.abs(marks(base, "h_vanilla")))
    if k >= 50:
        assert np.all(marks(big, "dphi_vanilla") < 0.05) and np.all(marks(big, "dphi_layernorm") > 0.05)


def test_axes_grow_with_a_but_not_after_normalization():
    a = [0.4, -0.9, 1.3, 0.1, -0.6, 0.8]
    labels = {}
    for k in (1.0, 100.0):
        _, html = _view(a, k=k)
        root = parse_view(html)
        labels[k] = {name: [t.text for t in next(el for el in root.iter() if el.get("data-name") == name).iter("text")]
                     for name in ("a_chart", "z_chart")}
    assert labels[1.0]["a_chart"] != labels[100.0]["a_chart"]  # the a_t axis follows a_t
    assert labels[1.0]["z_chart"] == labels[100.0]["z_chart"]  # the z axis does not move


def test_step_html_refuses_mismatched_arrays():
    n = StepNumbers(np.zeros(3), np.zeros(3), 0.0, 1.0, np.zeros(4), np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="step_html"):
        step_html(n, 1.0, 0.0)


def _trace(T, scale=1.0):
    t = np.arange(1, T + 1, dtype=float)
    return SequenceTrace(scale * t, np.sqrt(t), scale * 0.5 ** t)


def test_sequence_view_draws_each_norm_of_each_network():
    v, ln = _trace(12, 3.0), _trace(12)
    html = sequence_html(v, ln)
    for field in ("pre", "h", "grad"):
        np.testing.assert_array_equal(marks(html, f"{field}_vanilla"), getattr(v, field))
        np.testing.assert_array_equal(marks(html, f"{field}_layernorm"), getattr(ln, field))
    root = parse_view(html)
    charts = [el.get("data-name") for el in root.iter("svg") if el.get("data-name")]
    assert charts == ["pre_chart", "h_chart", "grad_chart"]


def test_sequence_view_leaves_out_what_a_log_axis_cannot_show():
    v = SequenceTrace(np.array([1.0, np.inf, 2.0]), np.array([0.0, 1.0, 1.0]), np.array([np.nan, 1e-3, 1.0]))
    html = sequence_html(v, _trace(3))
    assert marks(html, "pre_vanilla").tolist() == [1.0, 2.0]
    assert marks(html, "h_vanilla").tolist() == [1.0, 1.0]
    assert marks(html, "grad_vanilla").tolist() == [1e-3, 1.0]
    assert "overflowed to inf" in html and "exactly 0" in html


def test_sequence_html_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="sequence_html"):
        sequence_html(_trace(5), _trace(6))


class _Run:
    def __init__(self, losses, grad_norms):
        self.losses, self.grad_norms = np.asarray(losses, float), np.asarray(grad_norms, float)


def test_training_view_is_empty_before_training_and_draws_every_step_after():
    empty = training_html(None, None)
    assert 'data-empty="1"' in empty and VIEW_CLASS in empty and "train both" in empty
    v, ln = _Run([1.4, 1.3, 1.2], [2.0, 5.0, np.inf]), _Run([1.4, 0.5, 0.1], [3.0, 1.0, 0.5])
    html = training_html(v, ln)
    assert marks(html, "loss_vanilla").tolist() == [1.4, 1.3, 1.2]
    assert marks(html, "loss_layernorm").tolist() == [1.4, 0.5, 0.1]
    assert marks(html, "gnorm_vanilla").tolist() == [2.0, 5.0]  # inf is not drawn, and said so
    assert "overflowed to inf" in html
    only_one = training_html(None, ln)
    assert marks(only_one, "loss_layernorm").tolist() == [1.4, 0.5, 0.1]
    with pytest.raises(KeyError):
        marks(only_one, "loss_vanilla")
