"""Lesson 7's views (rnnviz.viz.layernorm): the drawn values read back and compared with the core's and the chapter's.

The core's cells compute the numbers drawn (read from their caches, as the lesson's app does); the expected
values come from the chapter's formulas written out in the test, on inputs chosen by hand.
"""

import numpy as np
import pytest

from rnnviz.core.cells import LayerNormRNNCell, VanillaRNNCell
from rnnviz.viz.layernorm import SequenceTrace, StepNumbers, sequence_html, step_html, training_html
from rnnviz.viz.svg import VIEW_CLASS, marks, parse_view

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
