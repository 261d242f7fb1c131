"""Lesson 4 (backpropagation through time): its math against the core, its exercises' usual wrong answers, its slips.

* the lesson math (rnnviz.lessonmath.bptt): the exercises' formulas are the package's own BPTT numbers;
* the exercises (rnnviz.exercises.bptt): each usual mistake, written as code or typed in the web page, is
  "not yet" naming the wrong term, and no "not yet" gives the answer away;
* the slips a class found: the time-stamp control is a backwards TimeStepper in the control bar, with the
  gap it moves; one notation, dL/dy_t, for the gradient of the scores.
"""

import json
import re
from pathlib import Path
import numpy as np
import pytest
from rnnviz.exercises import FunctionExercise, Unanswered
from rnnviz.exercises import bptt as ex4
from rnnviz.lessonmath.bptt import (
    SMALL_BACKWARD, SMALL_COPY, TRAIN_STEPS, WEIGHTS, W_xh_copy, backward_recursion, backward_trace, exercise_data,
    gradient_check, lesson_params, make_problem,
)
from rnnviz.viz.svg import marks
from rnnviz.widgets.base import TimeStepper
from rnnviz.widgets.bptt import BPTTApp
from rnnviz.core.gradcheck import check_gradients
from rnnviz.core.losses import softmax_nll
from rnnviz.viz.svg import VIEW_CLASS, matrix, parse_view
from rnnviz.widgets.bptt import (
    MAX_CHARS,
    WEIGHTS,
    gradient_check,
    lesson_params,
    make_problem,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "04-bptt.ipynb"


@pytest.fixture(scope="module")
def data():
    return exercise_data()


@pytest.fixture(scope="module")
def app():
    app = BPTTApp()
    app.CLICK_GUARD = 0.0  # the tests click faster than a person
    return app


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "code")


# =========================================================================== lesson math against the core
@pytest.mark.parametrize("steps", [0, 10])
def test_the_exercises_formulas_are_the_packages_bptt(steps):
    problem = make_problem()
    params = lesson_params(problem, steps)
    ev = problem.net.evaluate(params, problem.X, problem.targets, keep_copies=True)
    h, dh = ev.forward.hidden["layer0.fwd"][0], ev.backward.dh["layer0.fwd"][0]
    dY = ev.loss_result.dY[0]
    got = backward_recursion(dY, h, params[WEIGHTS["W_hh"]], params[WEIGHTS["W_hy"]])
    np.testing.assert_allclose(got, dh, rtol=1e-10, atol=1e-13)
    copies = ev.backward.copies[WEIGHTS["W_xh"]]
    d = params[WEIGHTS["W_xh"]].shape[1]
    for i in range(problem.T):
        np.testing.assert_allclose(W_xh_copy(dh[i], h[i], int(problem.X[0, i]), d), copies[i], rtol=1e-10, atol=1e-13)


def test_exercise_data_holds_the_packages_answers(data):
    T = len(data.x)
    np.testing.assert_allclose(backward_recursion(data.dY, data.h, data.W_hh, data.W_hy), data.dh, rtol=1e-10,
                               atol=1e-13)
    assert data.copies_W_xh.shape == (T, *data.W_xh.shape) and not data.h0.any()


def test_the_trace_splits_dh_into_its_two_terms_and_sums_the_copies_to_the_gradient():
    problem = make_problem()
    params = lesson_params(problem, 10)
    tr = backward_trace(problem, params)
    ev = problem.net.evaluate(params, problem.X, problem.targets)
    np.testing.assert_allclose(tr.dh_output + tr.dh_future, tr.dh, atol=1e-14)
    np.testing.assert_allclose(tr.dh_future[-1], 0, atol=1e-14)  # nothing from after T
    np.testing.assert_allclose(tr.dh_future[:-1], (tr.dh[1:] * (1 - tr.h[1:] ** 2)) @ params[WEIGHTS["W_hh"]],
                               atol=1e-13)  # row t: W_hh^T (Phi'_{t+1} ⊙ dL/dh_{t+1})
    onehot = np.eye(len(problem.vocab))[problem.targets[0]]
    np.testing.assert_allclose(tr.dY, tr.probs - onehot, atol=1e-14)  # dL/dy_t = p̂_t - onehot(j_t)
    for name, key in WEIGHTS.items():
        np.testing.assert_allclose(tr.running[name][0], ev.grads[key], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(tr.copies[name].sum(axis=0), ev.grads[key], rtol=1e-10, atol=1e-14)
        assert tr.gaps[name][0] < 1e-12 and tr.gaps[name][1] > 0 or name == "W_hh"
    assert not tr.copies["W_hh"][0].any() and tr.gaps["W_hh"][1] == 0.0  # h_0 = 0: the W_hh copy at t = 1 is zero


def test_the_gradient_check_agrees_with_bptt():
    problem = make_problem("abcab")
    res = gradient_check(problem, lesson_params(problem, 0))
    assert res.check.passed and set(res.check.errors) == set(WEIGHTS)


def test_the_small_cases_are_what_a_real_network_could_give():
    c = SMALL_BACKWARD
    T, p = c.h.shape
    assert (T, p) == (3, 2) and c.W_hh.shape == (2, 2) and np.all(np.abs(c.h) < 1)
    # each dL/dy_t is p̂_t - onehot(j_t) of a softmax: one entry in [-1, 0), the others in [0, 1], summing to 0
    for row in c.dY:
        assert abs(row.sum()) < 1e-12 and (row < 0).sum() == 1 and row.min() >= -1 and row.max() <= 1
    assert not np.allclose(c.W_hh, c.W_hh.T)  # a transposing mistake shows
    assert len(SMALL_COPY.h_t) <= 3 and SMALL_COPY.d <= 4 and np.all(np.abs(SMALL_COPY.h_t) < 1)


def _numbers(markup):
    return [float(x.replace("\u2212", "-")) for x in re.findall(r"[\u2212-]?\d+(?:\.\d+)?", re.sub(r"<[^>]+>", " ", markup))]


def test_the_web_questions_write_out_the_cases_numbers():
    text = ex4.backward_recursion.question_web
    nums = _numbers(text)
    for v in (*SMALL_BACKWARD.h.ravel(), *SMALL_BACKWARD.W_hh.ravel(), *SMALL_BACKWARD.output_terms.ravel()):
        assert v in nums, f"{v} is not in the question"
    nums = _numbers(ex4.W_xh_copy.question_web)
    for v in (*SMALL_COPY.h_t, *SMALL_COPY.dh_t, SMALL_COPY.d):
        assert v in nums


# =========================================================================== exercises: the backward recursion
def _backward(out=True, rec=True, phi="next", transpose=True, phi_outside=False, last=True, dla=False):
    """my_backward with one usual slip."""
    def fn(dY, h, W_hh, W_hy):
        T, p = h.shape
        dh = np.zeros((T, p))
        dh[T - 1] = W_hy.T @ dY[T - 1] if last else 0
        for t in range(T - 2, -1, -1):
            slope = {"next": 1 - h[t + 1] ** 2, "this": 1 - h[t] ** 2, "none": 1.0}[phi]
            W = W_hh.T if transpose else W_hh
            r = slope * (W @ dh[t + 1]) if phi_outside else W @ (slope * dh[t + 1])
            dh[t] = (W_hy.T @ dY[t] if out else 0) + (r if rec else 0)
            if dla:
                dh[t] = (1 - h[t] ** 2) * (W_hy.T @ dY[t] + W_hh.T @ dh[t + 1])
        return dh
    return fn


BACKWARD_SLIPS = [
    (dict(rec=False), "W_hh", "also gets a term from the next time-stamp"),
    (dict(out=False), "W_hy", "from this time-stamp's own output"),
    (dict(phi="none"), "Phi'", "forgot Φ′"),
    (dict(phi="this"), "Phi'", "yours is taken at h<sub>"),
    (dict(transpose=False), "W_hh", "not W<sub>hh</sub>"),
    (dict(phi_outside=True), "Phi'", "multiplies dL/dh<sub>"),
    (dict(dla=True), "Phi'", "dL/da<sub>"),
    (dict(last=False), "W_hy", "at t = T"),
]

#: what the right answers look like in a "not yet": their numbers (3 decimals) and the solution's code
ANSWER_TEXTS = ["W_hy.T @ dY", "(1 - h[t + 1] ** 2)", "copy[:, x_id]", "(1 - h_t ** 2) * dh_t", "only t = 1"]


def _gives_nothing_away(text):
    for piece in ANSWER_TEXTS:
        assert piece not in text, f"a 'not yet' shows {piece!r}: {text}"
    given = {round(abs(v), 3) for e in (ex4.backward_recursion, ex4.W_xh_copy) for v in _numbers(e.question_web)}
    answers = {round(abs(float(v)), 3) for v in (*np.ravel(backward_recursion(*SMALL_BACKWARD)),
                                                *np.ravel(W_xh_copy(*SMALL_COPY)))} - given - {0.0}
    shown = answers & {round(abs(v), 3) for v in _numbers(text)}
    assert not shown, f"a 'not yet' shows the answer {shown}: {text}"


@pytest.mark.parametrize("slip, wrong, words", BACKWARD_SLIPS, ids=[w for _, _, w in BACKWARD_SLIPS])
def test_a_backward_recursion_with_a_usual_slip_is_not_yet_naming_the_term(lab, slip, wrong, words):
    fb = ex4.backward_recursion.check(_backward(**slip))
    assert fb.answered and not fb.correct
    assert fb.wrong == wrong and words in fb.text, fb
    assert "small case" in fb.text  # the case a student can follow by hand is checked first
    _gives_nothing_away(fb.text)


@pytest.mark.parametrize("slip, wrong, words", BACKWARD_SLIPS, ids=[w for _, _, w in BACKWARD_SLIPS])
def test_the_same_slip_typed_in_the_web_page_names_the_same_term(slip, wrong, words):
    typed = np.round(_backward(**slip)(*SMALL_BACKWARD), 3).tolist()  # as a student types it, 3 decimals
    fb = ex4.backward_recursion.judge(typed)
    assert fb.answered and not fb.correct and fb.wrong == wrong and words in fb.text, fb
    _gives_nothing_away(fb.text)


def test_backward_recursion_right_answers_in_both_audiences(lab):
    assert ex4.backward_recursion.check(_backward()).correct
    typed = [[f"{v:.3f}" for v in row] for row in backward_recursion(*SMALL_BACKWARD)]
    assert ex4.backward_recursion.judge(typed).correct
    reversed_rows = typed[::-1]
    fb = ex4.backward_recursion.judge(reversed_rows)
    assert fb.wrong == "order"


def test_backward_recursion_shapes_errors_and_unwritten_code(lab):
    fb = ex4.backward_recursion.check(lambda dY, h, W_hh, W_hy: np.zeros(3))
    assert fb.wrong == "shape" and "(3, 2)" in fb.text
    fb = ex4.backward_recursion.check(lambda dY, h, W_hh, W_hy: W_hy @ dY[0])
    assert not fb.correct and "ValueError" in fb.text
    fb = ex4.backward_recursion.judge([["1", "2"], ["", ""], ["3", "4"]])
    assert not fb.correct and "every entry" in fb.text
    # the notebook's starting code is not written yet: "no answer yet", never "not yet"
    namespace = {"np": np}
    exec(ex4.backward_recursion.code.split("\nex4.")[0], namespace)
    assert not ex4.backward_recursion.check(namespace["my_backward"]).answered


# =========================================================================== exercises: a copy of W_xh
def _copy(kind):
    def fn(dh_t, h_t, x_id, d):
        c = np.zeros((len(h_t), d))
        col = {"right": (1 - h_t ** 2) * dh_t, "no_phi": dh_t, "no_square": (1 - h_t) * dh_t,
               "swapped": (1 - dh_t ** 2) * h_t}.get(kind, (1 - h_t ** 2) * dh_t)
        if kind == "every":
            return np.outer(col, np.ones(d))
        if kind == "transposed":
            return c.T
        if kind == "zeros":
            return c
        c[:, (x_id + 1) % d if kind == "column" else x_id] = col
        if kind == "sign":
            c = -c
        return c
    return fn


COPY_SLIPS = [
    ("no_phi", "Phi'", "forgot Φ′"),
    ("no_square", "Phi'", "with the square"),
    ("swapped", "Phi'", "swapped"),
    ("every", "x_t", "only one column"),
    ("column", "x_t", "the column of the input"),
    ("zeros", "x_t", "all zeros"),
    ("sign", "Phi'", "the right column"),
    ("transposed", "shape", "shape"),
]


@pytest.mark.parametrize("kind, wrong, words", COPY_SLIPS, ids=[k for k, _, _ in COPY_SLIPS])
def test_a_W_xh_copy_with_a_usual_slip_is_not_yet_naming_the_term(lab, kind, wrong, words):
    fb = ex4.W_xh_copy.check(_copy(kind))
    assert fb.answered and not fb.correct and fb.wrong == wrong and words in fb.text, fb
    _gives_nothing_away(fb.text)
    if kind != "transposed":  # the web page's grid has the right shape: a transposed copy cannot be typed
        fb = ex4.W_xh_copy.judge(np.round(_copy(kind)(*SMALL_COPY), 3).tolist())
        assert fb.answered and not fb.correct and fb.wrong == wrong and words in fb.text, fb
        _gives_nothing_away(fb.text)


def test_W_xh_copy_right_answers_and_the_column_named_by_its_character(lab):
    assert ex4.W_xh_copy.check(_copy("right")).correct
    typed = [[f"{v:g}" for v in row] for row in W_xh_copy(*SMALL_COPY)]
    assert ex4.W_xh_copy.judge(typed).correct
    fb = ex4.W_xh_copy.judge(np.round(_copy("column")(*SMALL_COPY), 3).tolist())
    assert "column d" in fb.text  # the web page names its columns by the characters a, b, c, d
    namespace = {"np": np}
    exec(ex4.W_xh_copy.code.split("\nex4.")[0], namespace)
    assert not ex4.W_xh_copy.check(namespace["my_W_xh_copy"]).answered


# =========================================================================== exercises: the copies one loss reaches
@pytest.mark.parametrize("answer, wrong", [([2, 3, 4, 5], "dL/dh_t"), ([2, 3, 4, 6], "dL/dh_t"),
                                           ([1, 2, 3, 4], "h_{t-1}"), ([4], "W_hh"), ([3, 4], "W_hh")])
def test_reached_copies_wrong_choices(lab, answer, wrong):
    fb = ex4.reached_copies.check(set(answer))
    assert fb.answered and not fb.correct and fb.wrong == wrong
    _gives_nothing_away(fb.text)
    assert ex4.reached_copies.judge(sorted(answer)).wrong == wrong  # the same judge in the page: clicked time-stamps


def test_reached_copies_right_answer_is_what_the_core_computes(lab):
    """The reference answer is checked against BPTT itself: the non-zero copies of W_hh with one loss at t = 4."""
    from rnnviz.core.network import Network
    from rnnviz.exercises.bptt import LOSS_AT, T_REACH

    rng = np.random.default_rng(3)
    net = Network(5, 4, 5)
    params = net.init_params(rng)
    X, Y = rng.integers(0, 5, (1, T_REACH)), rng.integers(0, 5, (1, T_REACH))
    mask = np.zeros((1, T_REACH), bool)
    mask[0, LOSS_AT - 1] = True
    copies = net.evaluate(params, X, Y, target_mask=mask, keep_copies=True).backward.copies["layer0.fwd.W_hh"]
    nonzero = {t + 1 for t in range(T_REACH) if np.abs(copies[t]).max() > 0}
    assert nonzero == set(ex4.reached_copies.reference)
    assert ex4.reached_copies.check(nonzero).correct and ex4.reached_copies.judge(sorted(nonzero)).correct
    assert not ex4.reached_copies.judge([]).answered  # nothing clicked yet is not an answer
    assert "not a time-stamp" in ex4.reached_copies.judge([7]).text


def test_every_exercise_gives_its_answer_only_in_the_solution():
    for e in ex4.EXERCISES:
        question = e.question_web if isinstance(e, FunctionExercise) else e.question
        _gives_nothing_away(question + e.question)
        assert e.solution().text and e.hint().text
    # the solutions' numbers are the right answers
    assert "0.61925" in ex4.backward_recursion.solution().text and "0.222" in ex4.backward_recursion.solution().text
    assert "−0.576" in ex4.W_xh_copy.solution().text


# =========================================================================== slip 1: t in view with what it moves
def test_the_time_stamp_is_a_backwards_stepper_in_the_control_bar_with_the_gap(app):
    """The t slider sat ~900 px above the gap curve it moves: it is now a TimeStepper in the control bar, which
    stays at the top of the screen while the views scroll, with the read-out of the gap."""
    bars = [w for w in app.children if "rnnviz-controls" in getattr(w, "_dom_classes", ())]
    assert len(bars) == 1
    inside = set()
    stack = [bars[0]]
    while stack:
        w = stack.pop()
        inside.add(id(w))
        stack.extend(getattr(w, "children", ()))
    assert isinstance(app.stepper, TimeStepper) and app.stepper.direction == -1
    assert id(app.stepper) in inside and id(app.t) in inside and id(app.summary) in inside
    assert id(app.weight) in inside
    assert id(app.time_view) not in inside and id(app.sequence_view) not in inside
    # the stepper walks the backward pass: from T down, pause keeps t, play at t = 1 starts again at T
    T = app.problem.T
    app.t.value = T
    assert app.stepper.value == T
    app.play.value = True
    app.stepper.tick()
    app.stepper.tick()
    assert app.t.value == T - 2
    assert marks(app.sequence_view.value, "gap_now")[0] == pytest.approx(app.gap)  # the gap moved with t
    app.play.value = False
    app.stepper.tick()
    assert app.t.value == T - 2
    app.t.value = 1
    app.play.value = True
    assert app.t.value == T
    app.play.value = False
    app.t.value = T


# =========================================================================== slip 2: one notation for dL/dy_t
_HAT_Y = re.compile(r"ŷ|y\u0302|&#375;|&ycirc;|\\hat\s*\{?\s*y")


def _lesson_markup(app):
    texts = [w.value for w in app.descendants() if hasattr(w, "value") and isinstance(w.value, str)]
    for e in ex4.EXERCISES:
        texts += [e.question, getattr(e, "question_web", ""), e.hint().text, e.solution().text, e.code_html()]
    nb = json.loads(NOTEBOOK.read_text())
    texts += ["".join(c["source"]) for c in nb["cells"]]
    return texts


def test_the_gradient_of_the_scores_is_written_dL_dy_everywhere(app):
    """One panel wrote dL/dŷ_t and another dL/dy_t for the same quantity: the chapter's y_t are the scores,
    and dL/dy_t = p̂_t − onehot(j_t) everywhere (views, guides, hover texts, exercises, notebook)."""
    for t in (app.problem.T, 3, 1):
        app.t.value = t
        for name in WEIGHTS:
            app.weight.value = name
            for text in _lesson_markup(app):
                assert not _HAT_Y.search(text), f"ŷ in: {text[max(0, _HAT_Y.search(text).start() - 80):][:200]}"
    app.weight.value = "W_hh"
    assert "dL/dy<sub>t</sub> = p̂<sub>t</sub> − onehot(j<sub>t</sub>)" in app.time_view.value
    app.t.value = app.problem.T


# =========================================================================== the read-outs in the control bar
def test_the_strip_marks_t_and_its_target_in_the_colours_of_the_charts(app):
    from rnnviz.viz.bptt import RED
    from rnnviz.viz.svg import ORANGE, parse_view

    app.t.value = 6  # the chapter's t = 6: input 'a', target 't'
    strip = app.strip.value
    cells = re.findall(r'<span style="([^"]*)">([^<]*)</span>', strip)
    assert "".join(c for _, c in cells) == app.problem.sentence.replace(" ", "␣")
    assert f"background:{ORANGE}" in cells[5][0] and f"outline:2px solid {RED}" in cells[6][0]
    assert sum(f"background:{ORANGE}" in s for s, _ in cells) == 1
    root = parse_view(app.sequence_view.value)
    loss = next(el for el in root.iter() if el.get("data-name") == "loss")
    bars = [el.get("fill") for el in loss.iter() if el.get("data-v") is not None]
    assert bars[5] == ORANGE  # the current t: the same orange in the strip and in the loss chart
    dy = next(el for el in parse_view(app.time_view.value).iter() if el.get("data-name") == "dY")
    fills = [el.get("fill") for el in dy.iter() if el.get("data-v") is not None]
    assert fills[int(app.trace.targets[5])] == RED  # the target: the same red in the strip and in dL/dy_t
    assert "gap of the running sum = <b>" in app.summary.value and f"{app.gap:.3f}" in app.summary.value
    app.sentence.value = "it's o'clock"
    assert "it's" not in app.strip.value and "&#x27;" in app.strip.value  # the sentence is escaped
    app.sentence.value = "the cat chased the mouse"


# =========================================================================== controls checked against the lesson's constants
def test_values_outside_the_lessons_ranges_are_refused_even_when_a_browser_raises_max(app):
    app.train_steps.max = 10 ** 6  # a browser can send a slider's max too
    app.train_steps.value = 10 ** 6
    assert app.message.kind == "error" and f"{TRAIN_STEPS[0]} to {TRAIN_STEPS[1]}" in app.message.text
    assert app.stale
    app.set_quietly(app.train_steps, max=TRAIN_STEPS[1])
    app.train_steps.value = 10
    assert app.message.kind == "" and not app.stale
    T = app.problem.T
    app.t.max = T + 5
    app.t.value = T + 3
    assert app.message.kind == "error" and f"T = {T}" in app.message.text
    app.set_quietly(app.t, max=T)
    app.t.value = T - 1
    assert app.message.kind == "" and not app.stale
    app.t.value = T


def test_a_bad_sentence_shows_its_message_under_the_sentence_box(app):
    app.sentence.value = "x" * 500
    assert app.message.kind == "error" and "at most" in app.message.text
    rows = list(app.children)
    at = next(i for i, w in enumerate(rows) if app.sentence in getattr(w, "children", ()))
    assert rows[at + 1] is app.message
    app.sentence.value = "the cat chased the mouse"
    assert app.message.kind == "info" and not app.stale


# =========================================================================== in a browser, at 1024 x 768
@pytest.mark.browser
def test_at_1024_by_768_the_t_control_stays_on_screen_with_the_gap_curve():
    pytest.importorskip("playwright")
    from browser.harness import CHROMIUM, browser_page, open_lesson, voila_server

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    with voila_server(ROOT / "notebooks") as url, browser_page((1024, 768)) as page:
        open_lesson(page, f"{url}/voila/render/{NOTEBOOK.name}")
        gap = page.locator('.rnnviz-app svg[data-name="gap_chart"]').first
        gap.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = gap.bounding_box()
        slider = page.locator(".rnnviz-controls .rnnviz-stepper .noUi-handle").first.bounding_box()
        assert box and slider
        assert 0 <= slider["y"] and slider["y"] + slider["height"] <= 768, f"t is off screen: {slider}"
        assert box["y"] < 768 and box["y"] + box["height"] > 0, f"the gap curve is off screen: {box}"
        assert slider["y"] + slider["height"] <= box["y"], "the control bar covers the gap curve"
        width = page.evaluate("() => [document.querySelector('.rnnviz-app').scrollWidth, "
                              "document.querySelector('.rnnviz-app').clientWidth]")
        assert width[0] <= width[1] + 1, f"the app scrolls sideways at 1024 px: {width}"


# =========================================================================== the apps and their views
_VIEWS = {"dY": "time", "dh_output": "time", "dh_future": "time", "dh_sum": "time", "copy": "time", "running": "time",
          "grad": "time", "loss": "sequence", "copy_norms": "sequence", "gap": "sequence", "gap_now": "sequence"}


def _html(app, name):
    return {"time": app.time_view, "sequence": app.sequence_view, "check": app.check_view}[_VIEWS.get(name, "check")].value


def _z(app, name):
    """A heatmap of the views as its matrix."""
    return matrix(_html(app, name), name)


def _y(app, name):
    """The values of a bar chart or a group of marks."""
    return marks(_html(app, name), name)


def _colours(app, name):
    """The fill colour of each mark of a chart."""
    root = parse_view(_html(app, name))
    chart = next(el for el in root.iter() if el.get("data-name") == name)
    return [el.get("fill") for el in chart.iter() if el.get("data-v") is not None]


def _reference(sentence="the cat chased the mouse", steps=10):
    """The package's own numbers, computed here independently of the app."""
    problem = make_problem(sentence)
    params = lesson_params(problem, steps)
    return problem, params, problem.net.evaluate(params, problem.X, problem.targets, keep_copies=True)


def _reset(app):
    app.sentence.value = "the cat chased the mouse"
    app.train_steps.value = 10
    app.weight.value = "W_hh"
    app.t.value = app.problem.T


# --------------------------------------------------------------------------- stepping through time
def test_stepping_t_shows_that_time_stamps_copy(app):
    _reset(app)
    problem, params, ev = _reference()
    copies = ev.backward.copies["layer0.fwd.W_hh"]
    T = problem.T
    assert app.t.value == T and app.t.max == T
    shown = []
    for t in (T, 7, 1):
        app.t.value = t
        z = _z(app, "copy")
        np.testing.assert_allclose(z, copies[t - 1], rtol=1e-12, atol=1e-15)
        assert f"<sup>({t})</sup>" in app.time_view.value
        shown.append(z)
    assert not np.allclose(shown[0], shown[1])  # a different time-stamp, a different copy


def test_output_and_hidden_gradients_follow_t(app):
    _reset(app)
    problem, params, ev = _reference()
    app.t.value = 6
    j = problem.targets[0, 5]
    onehot = np.eye(len(problem.vocab))[j]
    np.testing.assert_allclose(_y(app, "dY"), ev.loss_result.probs[0, 5] - onehot, atol=1e-12)
    colours = _colours(app, "dY")
    assert colours.count(colours[j]) == 1 and _y(app, "dY")[j] < 0  # the true token is marked, p - 1 < 0
    dh = ev.backward.dh["layer0.fwd"][0]
    np.testing.assert_allclose(_y(app, "dh_sum"), dh[5], atol=1e-12)
    np.testing.assert_allclose(_y(app, "dh_output") + _y(app, "dh_future"), dh[5], atol=1e-12)
    h, W_hh = ev.forward.hidden["layer0.fwd"][0], params["layer0.fwd.W_hh"]
    np.testing.assert_allclose(_y(app, "dh_future"), W_hh.T @ ((1 - h[6] ** 2) * dh[6]), atol=1e-12)
    bar_colors = _colours(app, "loss")
    assert bar_colors[5] != bar_colors[0] and bar_colors.count(bar_colors[5]) == 1  # the current time-stamp stands out
    app.t.value = problem.T
    np.testing.assert_allclose(_y(app, "dh_future"), 0, atol=1e-12)  # nothing comes from after T


def test_running_sum_equals_the_true_gradient_exactly_at_t_1(app):
    _reset(app)
    problem, params, ev = _reference()
    for name, key in WEIGHTS.items():
        app.weight.value = name
        last = 3 if name == "W_hh" else 2  # the W_hh copy at t = 1 is (...) h_0^T = 0: h_0 = 0
        app.t.value = last
        assert app.gap > 1e-3
        assert not np.allclose(_z(app, "running"), ev.grads[key])
        app.t.value = 1
        np.testing.assert_allclose(_z(app, "running"), ev.grads[key], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(_z(app, "grad"), ev.grads[key], rtol=1e-12, atol=1e-15)
        assert app.gap < 1e-12
        assert "is</b> the true gradient" in app.summary.value
        gaps = _y(app, "gap")
        assert gaps[0] < 1e-12 and np.all(gaps[last - 1:] > 1e-6)  # 0 at t = 1 and not before the last copy
    assert app.trace.gaps["W_hh"][0] == 0.0  # summed in BPTT's order, W_hh matches to the last bit
    app.weight.value = "W_hh"
    assert not np.any(app.trace.copies["W_hh"][0]) and "= 0, as h<sub>0</sub> = 0" in app.time_view.value
    app.t.value = 2
    assert app.gap == 0.0 and "h<sub>0</sub> is 0" in app.summary.value


def test_step_buttons_and_play_move_t(app):
    _reset(app)
    T = app.problem.T
    app.stepper.back.click()
    app.stepper.back.click()
    assert app.t.value == T - 2
    app.stepper.forward.click()
    assert app.t.value == T - 1
    app.stepper.forward.click()
    app.stepper.forward.click()
    assert app.t.value == T  # clamped
    app.play.value = True  # play walks backwards, as BPTT does: one tick of the kernel's timer is one step
    for _ in range(5):
        app.stepper.tick()
    assert app.t.value == T - 5
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][T - 6], rtol=1e-12, atol=1e-15)
    app.play.value = False  # pause keeps t where it is
    app.stepper.tick()
    assert app.t.value == T - 5
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][T - 6], rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- the weight selector
def test_choosing_W_xh_and_W_hy_switches_the_heatmaps(app):
    _reset(app)
    problem, params, ev = _reference()
    p, d = 8, len(problem.vocab)
    app.t.value = 4
    app.weight.value = "W_xh"
    z = _z(app, "copy")
    assert z.shape == (p, d)
    np.testing.assert_allclose(z, ev.backward.copies["layer0.fwd.W_xh"][3], rtol=1e-12, atol=1e-15)
    assert list(np.flatnonzero(np.abs(z).sum(axis=0))) == [problem.X[0, 3]]  # one-hot input: one column
    assert "input x<tspan" in app.time_view.value  # the columns are the input characters (axis title)
    assert "copy dL/dW<sub>xh</sub>" in app.time_view.value
    app.weight.value = "W_hy"
    z = _z(app, "copy")
    assert z.shape == (d, p)
    np.testing.assert_allclose(z, ev.backward.copies["out.W_hy"][3], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_z(app, "grad"), ev.grads["out.W_hy"], rtol=1e-12, atol=1e-15)
    app.weight.value = "W_hh"
    assert _z(app, "copy").shape == (p, p)


def test_training_steps_lower_the_loss_and_change_the_gradient(app):
    _reset(app)
    app.train_steps.value = 0
    loss0, grad0 = _y(app, "loss").sum(), _z(app, "grad")
    app.train_steps.value = 30
    loss30 = _y(app, "loss").sum()
    assert loss30 < 0.5 * loss0
    assert not np.allclose(_z(app, "grad"), grad0)
    _, _, ev = _reference(steps=30)
    assert loss30 == pytest.approx(ev.loss)


# --------------------------------------------------------------------------- gradient check
def test_gradient_check_button_passes_and_draws_analytic_against_numeric(app):
    _reset(app)
    app.check_button.click()
    assert app.message.kind == "info" and "PASSED" in app.message.text
    check = app.check_result.check
    assert check.passed and check.max_error < 1e-7 and set(check.errors) == set(WEIGHTS)
    assert "gradient check" in app.check_view.value and "PASSED" in app.check_view.value
    for name in WEIGHTS:
        drawn = _y(app, f"check_{name}")  # one dot per entry, at (numeric, analytic)
        assert drawn.size == app.params[WEIGHTS[name]].size
        np.testing.assert_allclose(drawn, np.ravel(app.check_result.analytic[name]), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(drawn, np.ravel(app.check_result.numeric[name]), atol=1e-6)  # on the diagonal
    # the same verdict as the package's check_gradients
    net, X, Y = app.problem.net, app.problem.X, app.problem.targets
    ref = check_gradients(lambda p: softmax_nll(net.forward(p, X).Y, Y).loss, app.params,
                          net.evaluate(app.params, X, Y).grads, list(WEIGHTS.values()))
    assert ref.passed and ref.max_error == pytest.approx(check.max_error, rel=1e-6)
    # new weights: the old check no longer applies and is cleared
    app.train_steps.value = 15
    assert app.check_result is None and "check_W_hh" not in app.check_view.value
    assert "press <b>Run gradient check</b>" in app.check_view.value


def test_gradient_check_fails_on_a_wrong_gradient(monkeypatch):
    app = BPTTApp()
    real = app.problem.net.evaluate

    def wrong(*args, **kwargs):  # BPTT that forgot a little of W_hh's gradient
        ev = real(*args, **kwargs)
        ev.grads["layer0.fwd.W_hh"] = ev.grads["layer0.fwd.W_hh"] * 0.9
        return ev

    monkeypatch.setattr(app.problem.net, "evaluate", wrong)
    app.check_button.click()
    assert app.message.kind == "error" and "FAILED" in app.message.text and "W_hh" in app.message.text
    assert app.check_result.check.errors["W_hh"] > 1e-3
    assert "FAILED" in app.check_view.value


def test_gradient_check_refuses_unknown_weights():
    problem = make_problem()
    with pytest.raises(ValueError, match="W_zz"):
        gradient_check(problem, lesson_params(problem, 0), names=("W_zz",))


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("héllo wörld", "'é' 'ö'"),
    ("price: 3$", "'$' '3'"),
    ("ab", "too short"),
    ("x" * (MAX_CHARS + 1), f"{MAX_CHARS + 1} characters; at most {MAX_CHARS}"),
])
def test_bad_sentences_give_a_message_and_the_app_keeps_working(app, text, words):
    _reset(app)
    app.t.value = 5
    before = _z(app, "copy").copy()
    app.sentence.value = text
    assert app.message.kind == "error" and words in app.message.text
    assert "Traceback" not in app.message.text
    np.testing.assert_array_equal(_z(app, "copy"), before)  # the view was left as it was
    assert app.t.value == 5 and app.problem.sentence == "the cat chased the mouse"
    app.sentence.value = "Hello World!"
    assert app.message.kind == "info" and "T = 11" in app.message.text and "lower case" in app.message.text
    assert app.problem.sentence == "hello world!" and app.t.value == 11 == app.t.max
    assert len(_y(app, "loss")) == 11
    app.stepper.back.click()
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][9])


def test_a_longest_sentence_works_and_a_short_one_shrinks_the_slider(app):
    _reset(app)
    app.sentence.value = "a bc" * 10
    assert app.message.kind == "info" and app.t.max == MAX_CHARS - 1 == app.t.value
    app.t.value = 1
    assert app.gap < 1e-12
    app.sentence.value = "abc"
    assert app.t.max == 2 and app.t.value == 2 and app.stepper.T == 2


def test_the_views_are_well_formed_svg_with_their_data_and_escape_the_sentence(app):
    """Each view is one rnnviz-view element (the browser test finds it), well-formed, with values on its marks."""
    _reset(app)
    app.sentence.value = "it's a <b>cat"  # '<' and '>' are refused by the lesson: the message says so
    assert app.message.kind == "error" and "'<'" in app.message.text
    app.sentence.value = "it's o'clock"
    assert app.message.kind == "info"
    p, d = app.trace.dh.shape[1], len(app.trace.tokens)
    for view in (app.time_view, app.sequence_view):
        root = parse_view(view.value)
        assert VIEW_CLASS in root.get("class").split()
        assert "it's" not in view.value and "&#x27;" in view.value  # the quote is escaped wherever it is shown
    counts = {name: _y(app, name).size for name in ("dY", "dh_output", "dh_future", "dh_sum", "copy", "running",
                                                     "grad", "loss", "copy_norms", "gap", "gap_now")}
    T = app.problem.T
    assert counts == {"dY": d, "dh_output": p, "dh_future": p, "dh_sum": p, "copy": p * p, "running": p * p,
                      "grad": p * p, "loss": T, "copy_norms": T, "gap": T, "gap_now": 1}
    _reset(app)


# --------------------------------------------------------------------------- views and messages
def test_running_sum_and_true_gradient_share_one_scale_side_by_side(app):
    _reset(app)
    for name in WEIGHTS:
        app.weight.value = name
        panel = app.time_view.value.split("running sum", 1)[1]
        scales = [el for el in parse_view(app.time_view.value).iter() if el.get("data-name") == "colourbar"]
        assert len(scales) == 2  # the copy's own scale, and one for the running sum and the true gradient
        assert panel.index('data-name="running"') < panel.index('data-name="grad"') < panel.index('data-name="colourbar"')
        app.t.value = 2
        assert _colours(app, "running") != _colours(app, "grad") or name == "W_hh"  # (W_hh: its copy at t = 1 is 0)
        app.t.value = 1  # the sum of all copies is the true gradient: the same matrix, the same colours
        assert _colours(app, "running") == _colours(app, "grad")
        app.t.value = app.problem.T


def test_a_move_of_t_sends_the_time_stamp_view_first(app):
    """The panels that change with t are one message, sent before the sequence view's and the read-outs."""
    _reset(app)
    sent = []
    watchers = [(app.time_view, "time"), (app.sequence_view, "sequence"), (app.check_view, "check"),
                (app.strip, "strip"), (app.summary, "summary")]
    handlers = []
    for widget, label in watchers:
        handlers.append((widget, lambda change, label=label: sent.append(label)))
        widget.observe(handlers[-1][1], names="value")
    try:
        app.t.value = 7
        assert sent == ["time", "sequence", "strip", "summary"]
        for control, value in ((app.weight, "W_xh"), (app.train_steps, 20)):  # the strip may stay as it was
            sent.clear()
            control.value = value
            assert sent == ["time", "sequence", "summary"]
        app.check_button.click()
        sent.clear()
        app.train_steps.value = 10  # new weights: the check no longer applies and is cleared
        assert sent == ["time", "sequence", "check", "summary"]
    finally:
        for widget, handler in handlers:
            widget.unobserve(handler, names="value")


def test_a_move_of_t_changes_only_the_highlights_over_the_whole_sequence(app):
    _reset(app)
    before = {name: _y(app, name) for name in ("loss", "copy_norms", "gap")}
    colours = {name: _colours(app, name) for name in ("loss", "copy_norms")}
    app.t.value = 9
    for name, values in before.items():
        np.testing.assert_array_equal(_y(app, name), values)  # the same data
    for name in ("loss", "copy_norms"):
        now = _colours(app, name)
        assert now != colours[name] and now[8] != colours[name][8]  # the highlight moved to t = 9
    assert _y(app, "gap_now")[0] == pytest.approx(app.gap, rel=1e-12)
