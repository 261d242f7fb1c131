"""Lesson 5 (vanishing and exploding gradients): its lesson math against the core, its exercises' wrong answers.

Its apps and views are tested in tests/test_widgets_vanishing.py.
"""

import numpy as np
import pytest


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "code")


def test_lesson_math_matches_the_core():
    from rnnviz.lessonmath.vanishing import SpectralSetup, one_unit, regime, spectral_state

    u = one_unit(0.5, 1.0, 20, "identity")
    assert u.ratio == pytest.approx(0.5 ** 19) and u.regime == "vanishing" and u.finite
    assert u.mean_factor == pytest.approx(0.5)
    assert one_unit(1.5, 0.0, 20, "identity").regime == "exploding"
    assert regime(float("inf")) == "exploding" and regime(float("nan")) == "overflowed" and regime(1.0) == "roughly stable"
    with pytest.raises(ValueError, match="activation"):
        one_unit(0.5, 1.0, 20, "softsign")
    setup = SpectralSetup.make(hidden_size=8, T=12, vocab=5)
    st = spectral_state(setup, 0.5, 1.0, "identity")
    assert st.flow.shape == (12, 12) and np.all(st.flow[np.triu_indices(12, 1)] == 0)
    assert st.ratio == pytest.approx(st.grad_norms[0] / st.grad_norms[-1]) and st.bounds.vanishing_guaranteed


def test_lesson5_w_for_gradient_names_the_mistake(lab):
    from rnnviz.exercises.vanishing import w_for_gradient as e

    assert e.check(0.695).correct and e.check("0.6952").correct and e.check(-0.695).correct
    fb = e.check(10 ** (-3 / 20))  # twenty factors instead of nineteen
    assert fb.wrong == "exponent" and "19 steps" in fb.text
    fb = e.check(1e-3)
    assert fb.wrong == "w" and "not the weight" in fb.text
    fb = e.check(0.9)
    assert not fb.correct and "closer to 0" in fb.text and "10**(-3/19)" not in fb.text and "0.695" not in fb.text
    assert "closer to 1" in e.check(0.5).text
    assert "not a number" in e.check("zero point seven").text


def test_lesson5_saturation(lab):
    from rnnviz.exercises.vanishing import saturation as e

    assert e.check("larger").correct
    fb = e.check("smaller")
    assert fb.wrong == "Phi'" and "Larger" not in fb.text
    assert "one of" in e.check("bigger").text
