"""The exercises module: one feedback type, student code called safely, one judge for the web page and for code.

Every exercise of every lesson (``EXERCISES`` of each module of ``rnnviz.exercises``) is checked the same way:
its reference answer is correct, typed into the web page's box too; placeholders are "no answer yet", never
"not yet"; nothing is shown before the student answers; hints and solutions appear only when asked for.
Lesson files test their own wrong answers (each names the term that is wrong).
"""

import importlib
import pkgutil

import numpy as np
import pytest

import rnnviz.exercises as ex
from rnnviz.exercises import (Choice, Exercise, Feedback, FunctionExercise, Matrix, NotYet, Number, TimeSet,
                              Unanswered, Vector, as_array, as_choice, as_number, as_time_set, call)


def _all_exercises():
    found = []
    for info in pkgutil.iter_modules(ex.__path__):
        if info.name == "web":
            continue
        mod = importlib.import_module(f"rnnviz.exercises.{info.name}")
        for e in getattr(mod, "EXERCISES", ()):
            found.append(pytest.param(e, id=e.key))
    return found


EXERCISES = _all_exercises()


@pytest.fixture
def web(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "web")


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "code")


# ---------------------------------------------------------------------------- reading answers
def test_as_number_reads_numbers_and_text_and_names_what_is_wrong():
    assert as_number("0.7") == 0.7 and as_number(" 1e-3 ") == 1e-3 and as_number("\u22122") == -2.0
    assert as_number(np.float32(2.5)) == 2.5 and as_number(np.array([3.0])) == 3.0
    for placeholder in (None, ..., "", "  ", "?"):
        with pytest.raises(Unanswered):
            as_number(placeholder)
    for bad, words in (("abc", "not a number"), ("nan", "finite"), ([1, 2], "one number"), (True, "not True"),
                       (2.5, "whole number")):
        with pytest.raises(NotYet, match=words):
            as_number(bad, integer=isinstance(bad, float))


def test_as_array_checks_shape_and_values():
    assert as_array(["1", "2.5", "-3"], (3,)).tolist() == [1.0, 2.5, -3.0]
    assert as_array([[1, 2], [3, 4]], (2, 2)).shape == (2, 2)
    with pytest.raises(Unanswered):
        as_array(["", "", ""], (3,))
    with pytest.raises(NotYet, match="every entry"):
        as_array(["1", "", "2"], (3,))
    with pytest.raises(NotYet, match=r"shape \(4,\); it should have shape \(3,\)") as info:
        as_array([1, 2, 3, 4], (3,))
    assert info.value.wrong == "shape"
    with pytest.raises(NotYet, match="arranged differently"):
        as_array(np.ones((2, 3)), (3, 2))
    with pytest.raises(NotYet, match="NaN"):
        as_array([1.0, np.nan], (2,))


def test_as_choice_and_as_time_set():
    assert as_choice(" Larger", ("larger", "smaller")) == "larger"
    with pytest.raises(NotYet, match="'larger', 'smaller'"):
        as_choice("bigger", ("larger", "smaller"))
    assert as_time_set([3, 1, 3], range(1, 6)) == frozenset({1, 3})
    assert as_time_set(2, range(1, 6)) == frozenset({2})
    with pytest.raises(NotYet, match="7 is not a time-stamp"):
        as_time_set([7], range(1, 6))


def test_call_turns_whatever_student_code_does_into_feedback():
    with pytest.raises(Unanswered):
        call(None, 1)

    def not_written(x):
        raise NotImplementedError

    def no_return(x):
        x + 1

    def broken(x):
        return x @ np.ones((3, 3))

    def crashes(x):
        return {}["key"]

    def modifies(x):
        x[:] = 0
        return x

    for fn in (not_written, no_return):
        with pytest.raises(Unanswered):
            call(fn, np.ones(2))
    with pytest.raises(NotYet, match="shapes") as info:
        call(broken, np.ones(2), what="my_step(x)")
    assert info.value.wrong == "shape" and "my_step(x)" in info.value.text
    with pytest.raises(NotYet, match="KeyError"):
        call(crashes, 1)
    with pytest.raises(NotYet, match="the function, without calling it"):
        call(3.0, 1)
    data = np.ones(2)
    call(modifies, data)
    assert data.tolist() == [1.0, 1.0]  # the student's function gets copies: the checker's data is never changed


def test_feedback_says_correct_not_yet_or_no_answer_yet():
    assert str(Feedback.right("well done")) == "correct: well done" and bool(Feedback.right("x"))
    wrong = Feedback.not_yet("check the W_hh term", "W_hh")
    assert str(wrong).startswith("not yet:") and not wrong and wrong.wrong == "W_hh"
    empty = Feedback.unanswered("type a number")
    assert not empty and not empty.answered and str(empty).startswith("no answer yet")
    assert "<script>" not in Feedback.not_yet("<script>x</script> h<sub>t</sub>").html()
    assert "h<sub>t</sub>" in Feedback.not_yet("h<sub>t</sub>").html()


def test_a_judge_that_fails_unexpectedly_still_answers():
    def judge(answer):
        return 1 / 0

    e = Exercise("99.crash", "Crash", "?", Number(), judge, code="", hint="", solution="")
    fb = e.judge(3)
    assert not fb.correct and fb.answered and "ZeroDivisionError" in fb.text


def test_exercise_keys_are_unique_and_well_formed():
    keys = [p.values[0].key for p in EXERCISES]
    assert len(keys) == len(set(keys)) and keys
    with pytest.raises(ValueError, match="NN.short-name"):
        Exercise("bad key", "t", "q", Number(), lambda a: "", code="", hint="", solution="")


# ---------------------------------------------------------------------------- every exercise, both audiences
def _placeholders(e):
    if isinstance(e, FunctionExercise):
        def not_written(*args):
            raise NotImplementedError

        return [not_written, None, ...]
    return [None, ..., ""]


def _web_answer(e):
    """The reference answer as a student types or clicks it in the page."""
    value = e.reference_value() if isinstance(e, FunctionExercise) else e.reference
    if isinstance(e.answer, (Vector, Matrix)):
        return np.asarray(value, dtype=float).round(6).tolist()
    if isinstance(e.answer, TimeSet):
        return sorted(value)
    return value


@pytest.mark.parametrize("e", EXERCISES)
def test_the_reference_answer_is_correct_and_placeholders_are_not_judged(e, lab):
    assert e.reference is not None, f"{e.key} has no reference answer"
    fb = e.check(e.reference)
    assert fb.correct, f"{e.key}: the reference answer is judged {fb}"
    assert fb.text and len(fb.text) < 1200
    for placeholder in _placeholders(e):
        fb = e.check(placeholder)
        assert not fb.answered and not fb.correct, f"{e.key}: placeholder {placeholder!r} judged {fb}"


@pytest.mark.parametrize("e", EXERCISES)
def test_in_the_web_page_the_box_is_empty_until_answered_and_judges_the_reference_correct(e, web):
    e._box = None
    box = e.widget()
    assert box.result.value == "" and box.help.value == "" and box.feedback is None
    text = box.children[0].value
    assert e.title in text
    if isinstance(e, FunctionExercise):
        assert e.question_web[:40].split("<")[0] in text
    box.set_answer(_web_answer(e))
    assert box.result.value == ""  # filling in checks nothing
    fb = box.check()
    assert fb.correct, f"{e.key}: the reference typed in the page is judged {fb}"
    assert "correct" in box.result.value
    assert box.help.value == ""  # no hint, no solution until asked for
    box.show_hint()
    assert "<b>hint</b>" in box.help.value and "solution" not in box.help.value
    box.show_solution()
    assert "solution" in box.help.value


@pytest.mark.parametrize("e", EXERCISES)
def test_one_notebook_serves_both_audiences(e, monkeypatch):
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    monkeypatch.delenv("RNNVIZ_EXERCISES", raising=False)
    assert ex.in_voila()
    assert e.check(e.reference) is None  # Voila runs the code cells once, with placeholders: they print nothing
    bundle = e._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    monkeypatch.delenv("SERVER_SOFTWARE")
    monkeypatch.setenv("VOILA_PREHEAT", "True")  # a kernel of Voila's pool, started before any page asked
    assert ex.in_voila()
    monkeypatch.delenv("VOILA_PREHEAT")
    monkeypatch.delenv("VOILA_BASE_URL", raising=False)
    assert not ex.in_voila()
    bundle = e._repr_mimebundle_()
    assert "text/html" in bundle and ".check(" in bundle["text/html"] and ".hint()" in bundle["text/html"]
    assert e.solution().text not in bundle["text/html"]  # the display gives nothing away


def test_every_answer_kind_has_a_box(web):
    kinds = [Number(unit="px"), Choice(("a", "b")), Vector(("x", "y")), Matrix(("r1", "r2"), ("c1",)),
             TimeSet(("x<sub>1</sub>", "x<sub>2</sub>"), (1, 2))]
    answers = ["2", "b", ["1", "2"], [["1"], ["2"]], [2]]
    for kind, answer in zip(kinds, answers):
        seen = []
        e = Exercise("99.kind", "Kind", "q", kind, lambda a: seen.append(a) or "ok", code="ex.check(x)", hint="h",
                     solution="s")
        box = e.widget()
        box.set_answer(answer)
        assert box.check().correct
        assert seen[-1] == answer
    toggles = Exercise("99.t", "T", "q", kinds[-1], lambda a: "", code="", hint="", solution="").widget().inputs
    assert [t.description for t in toggles] == ["x\u2081", "x\u2082"]


def test_a_web_check_is_reported_to_listeners(web):
    seen = []
    ex.ON_CHECK.append(lambda exercise, fb: seen.append((exercise.key, fb.correct)))
    try:
        e = Exercise("99.listen", "L", "q", Number(), lambda a: "ok" if as_number(a) == 1 else (_ for _ in ()).throw(
            NotYet("no")), code="", hint="", solution="")
        box = e.widget()
        box.inputs[0].value = "2"  # Enter in the box checks it
        box.inputs[0].value = "1"
        assert seen == [("99.listen", False), ("99.listen", True)]
        ex.ON_CHECK.append(lambda exercise, fb: 1 / 0)  # a broken listener never breaks the page
        assert box.check().correct
    finally:
        ex.ON_CHECK.clear()
