"""The training loop: learning, determinism, callbacks, clipping, truncated BPTT, stateful streams, divergence."""

import warnings

import numpy as np
import pytest

import rnnviz as rv
from rnnviz.core.optim import SGD, Adam, Optimizer
from rnnviz.core.train import (
    Batch,
    Trainer,
    classification_batch,
    evaluate_accuracy,
    last_present_index,
    print_progress,
    sequence_scores,
    shuffled_batches,
    stop_when,
    train,
)


class Frozen(Optimizer):
    """Takes steps that change nothing, so each step's loss can be compared with a direct evaluation."""

    def update(self, W, g, slots, t):
        return W.copy(), {}


def _echo_task(rng, N=16, T=12, V=4):
    """Target at t is the input at t-1: needs one step of memory."""
    X = rng.integers(0, V, (N, T))
    Y = np.concatenate([np.zeros((N, 1), dtype=X.dtype), X[:, :-1]], axis=1)
    mask = np.ones((N, T), dtype=bool)
    mask[:, 0] = False
    return X, Y, mask


def _echo_source(V=4, N=16, T=12, seed=7):
    rng = np.random.default_rng(seed)

    def next_batch():
        return _echo_task(rng, N, T, V)

    return next_batch


def test_training_learns_the_echo_task(rng):
    net = rv.Network(4, 16, 4)
    result = train(net, net.init_params(rng), Adam(lr=0.02), _echo_source(), steps=150)
    assert result.status == "finished" and len(result.history) == 150
    assert result.losses[:5].mean() > 1.2  # ~log 4 = 1.39 at the start
    assert result.losses[-10:].mean() < 0.1
    X, Y, mask = _echo_task(np.random.default_rng(99))
    probs = rv.softmax(net.forward(result.params, X).Y)
    assert np.mean(probs.argmax(-1)[mask] == Y[mask]) > 0.97


def test_training_is_deterministic_and_does_not_touch_the_callers_params(rng):
    net = rv.Network(4, 8, 4, cell="gru")
    params = net.init_params(rng)
    before = {k: v.copy() for k, v in params.items()}
    r1 = train(net, params, Adam(lr=0.01), _echo_source(), steps=20, clip=("norm", 1.0))
    r2 = train(net, params, Adam(lr=0.01), _echo_source(), steps=20, clip=("norm", 1.0))
    np.testing.assert_array_equal(r1.losses, r2.losses)
    for k in params:
        np.testing.assert_array_equal(r1.params[k], r2.params[k])
        np.testing.assert_array_equal(params[k], before[k])


def test_run_continues_where_it_stopped(rng):
    net = rv.Network(4, 8, 4)
    params = net.init_params(rng)
    whole = train(net, params, Adam(lr=0.01), _echo_source(), steps=10)
    trainer = Trainer(net, params, Adam(lr=0.01))
    source = _echo_source()
    trainer.run(source, 4)
    halves = trainer.run(source, 6)
    assert [r.step for r in halves.history] == list(range(1, 11))
    np.testing.assert_allclose(halves.losses, whole.losses)
    for k in params:
        np.testing.assert_array_equal(halves.params[k], whole.params[k])


def test_callbacks_get_a_record_every_step_and_can_stop(rng):
    net = rv.Network(4, 8, 4)
    seen = []
    result = train(net, net.init_params(rng), Adam(lr=0.01), _echo_source(), steps=50,
                   callbacks=[seen.append, lambda r: r.step == 7])
    assert [r.step for r in seen] == list(range(1, 8))
    r = seen[-1]
    assert np.isfinite(r.loss) and r.grad_norm > 0 and r.elapsed >= 0 and r.clip is None
    assert r.count == 16 * 11  # the first time-stamp of each sequence has no target
    assert result.status == "stopped" and "after step 7" in result.stopped_reason
    assert len(result.history) == 7


def test_stop_when_reports_its_reason(rng):
    net = rv.Network(4, 16, 4)
    result = train(net, net.init_params(rng), Adam(lr=0.02), _echo_source(), steps=500,
                   callbacks=[stop_when(loss_below=0.5, average=3)])
    assert result.status == "stopped"
    assert "reached the target" in result.stopped_reason
    assert result.losses[-3:].mean() < 0.5 and len(result.history) < 500


def test_print_progress_prints_every_n_steps(rng, capsys):
    net = rv.Network(4, 8, 4)
    train(net, net.init_params(rng), Adam(lr=0.01), _echo_source(), steps=6, callbacks=[print_progress(every=3)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("step      3  loss ")


def test_clipping_by_norm_bounds_every_step(rng):
    net = rv.Network(4, 8, 4)
    result = train(net, net.init_params(rng), SGD(lr=0.1), _echo_source(), steps=5, clip=("norm", 1e-3))
    for r in result.history:
        assert r.clip.kind == "norm" and r.clip.clipped
        assert r.clip.norm_before == pytest.approx(r.grad_norm)
        assert r.clip.norm_after == pytest.approx(1e-3)


def test_clipping_by_value_is_reported(rng):
    net = rv.Network(4, 8, 4)
    r = train(net, net.init_params(rng), SGD(lr=0.1), _echo_source(), steps=1, clip=("value", 1e-3),
              reduction="sum").history[0]
    assert r.clip.kind == "value" and r.clip.clipped and 0 < r.clip.fraction_clipped <= 1


def test_truncated_bptt_windows_match_truncated_bptt(rng):
    """With parameters that do not move, the loop's windows are exactly truncated_bptt's windows."""
    net = rv.Network(4, 6, 4, cell="lstm")
    params = net.init_params(rng)
    X, Y, mask = _echo_task(rng, N=3, T=11)
    result = train(net, params, Frozen(lr=1.0), (X, Y, mask), steps=3, window=4, reduction="sum")
    windows = list(rv.truncated_bptt(net, params, X, Y, 4, target_mask=mask))
    assert [w.stop - w.start for w in windows] == [4, 4, 3]
    np.testing.assert_allclose(result.losses, [w.loss for w in windows], rtol=1e-12)
    np.testing.assert_allclose(result.grad_norms, [rv.global_norm(w.grads) for w in windows], rtol=1e-12)


def test_stateful_training_carries_the_state_across_batches(rng):
    net = rv.Network(5, 6, 5)
    params = net.init_params(rng)
    tokens = rng.integers(0, 5, 200)
    batches = list(rv.stream_windows(tokens, 4, 10))
    result = train(net, params, Frozen(lr=1.0), batches, steps=3, stateful=True, reduction="sum")
    # the same three windows run as one sequence of 30 steps from the zero state
    X = np.concatenate([b[0] for b in batches[:3]], axis=1)
    per_step = rv.softmax_nll(net.forward(params, X).Y, np.concatenate([b[1] for b in batches[:3]], axis=1)).per_step
    np.testing.assert_allclose(result.losses, per_step.reshape(4, 3, 10).sum(axis=(0, 2)), rtol=1e-12)
    # without stateful each batch starts from zeros, so later windows differ
    fresh = train(net, params, Frozen(lr=1.0), batches, steps=3, reduction="sum")
    assert fresh.losses[0] == pytest.approx(result.losses[0])
    assert abs(fresh.losses[1] - result.losses[1]) > 1e-6


def test_reset_state_starts_a_batch_from_zeros(rng):
    net = rv.Network(5, 6, 5)
    params = net.init_params(rng)
    X = rng.integers(0, 5, (2, 8))
    batches = [Batch(X, X), Batch(X, X, reset_state=True)]
    result = train(net, params, Frozen(lr=1.0), batches, steps=2, stateful=True)
    assert result.losses[1] == pytest.approx(result.losses[0])


def test_running_out_of_batches_is_reported(rng):
    net = rv.Network(4, 8, 4)
    X, Y, mask = _echo_task(rng)
    result = train(net, net.init_params(rng), Adam(), [(X, Y, mask)] * 3, steps=10)
    assert result.status == "exhausted" and len(result.history) == 3
    assert "ran out after 3 of 10 steps" in result.stopped_reason


def test_divergence_stops_cleanly_with_an_explanation(rng):
    net = rv.Network(5, 8, 5, cell_options={"activation": "relu"})
    params = net.init_params(rng)
    X = rng.integers(0, 5, (4, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may reach the student
        result = train(net, params, SGD(lr=50.0), (X, np.roll(X, 1, axis=1)), steps=100, reduction="sum")
    assert result.diverged and result.status == "diverged"
    k = len(result.history) + 1
    assert f"at step {k}" in result.stopped_reason
    assert "exploded" in result.stopped_reason and "clipping" in result.stopped_reason
    assert "learning rate" in result.stopped_reason
    assert np.all(np.isfinite(result.losses)) and 1 <= len(result.history) < 100
    assert all(np.all(np.isfinite(v)) for v in result.params.values())
    # clipping the same run keeps it finite
    clipped = train(net, params, SGD(lr=0.5), (X, np.roll(X, 1, axis=1)), steps=30, clip=("norm", 1.0),
                    reduction="sum")
    assert clipped.status == "finished"


class _InfGradModel:
    """A one-parameter model whose gradient overflows although its loss is finite."""

    def forward(self, params, X, input_mask=None):
        return type("F", (), {"Y": np.zeros((len(X), 2)), "cache": None})()

    def backward(self, params, dY, cache):
        return type("B", (), {"grads": {"w": np.array([np.inf])}})()


def test_an_infinite_gradient_with_finite_loss_is_named():
    result = train(_InfGradModel(), {"w": np.zeros(1)}, SGD(lr=0.1), (np.zeros((3, 1)), np.zeros(3, int)), steps=5)
    assert result.diverged and "gradient became inf at step 1" in result.stopped_reason
    assert "loss was finite" in result.stopped_reason and result.history == []
    trainer = Trainer(_InfGradModel(), {"w": np.zeros(1)}, SGD(lr=0.1))
    trainer.run((np.zeros((3, 1)), np.zeros(3, int)), 5)
    again = trainer.run((np.zeros((3, 1)), np.zeros(3, int)), 5)  # a diverged trainer does not restart
    assert again.diverged and again.stopped_reason == result.stopped_reason


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"clip": ("sideways", 1.0)}, ValueError, "clip"),
        ({"clip": ("norm", -1.0)}, ValueError, r"clip\[1\]"),
        ({"clip": 5.0}, ValueError, "clip"),
        ({"loss": "hinge"}, ValueError, "loss"),
        ({"window": 0}, ValueError, "window"),
        ({"steps": 0}, ValueError, "steps"),
    ],
)
def test_bad_options_are_named(rng, kwargs, error, match):
    net = rv.Network(4, 8, 4)
    steps = kwargs.pop("steps", 3)
    with pytest.raises(error, match=match):
        train(net, net.init_params(rng), Adam(), _echo_source(), steps=steps, **kwargs)


def test_bad_sources_and_models_are_named(rng):
    net = rv.Network(4, 8, 4)
    params = net.init_params(rng)

    def generator_function():
        yield _echo_task(rng)

    with pytest.raises(TypeError, match="generator"):
        train(net, params, Adam(), generator_function, steps=2)
    with pytest.raises(TypeError, match="batch"):
        train(net, params, Adam(), [np.zeros(3)], steps=2)
    with pytest.raises(TypeError, match="optimizer"):
        train(net, params, "adam", _echo_source(), steps=2)
    with pytest.raises(ValueError, match="unidirectional"):
        bi = rv.Network(4, 8, 4, bidirectional=True)
        train(bi, bi.init_params(rng), Adam(), _echo_source(), steps=2, window=4)
    with pytest.raises(ValueError, match="target per time-stamp"):
        train(net, params, Adam(), (rng.integers(0, 4, (2, 6)), np.zeros(2, int)), steps=1, window=3)


# ----------------------------------------------------------------------------- classification helpers
def test_last_present_index_with_padding_at_the_end():
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(last_present_index(mask, (3, 5)), [2, 4, 0])
    np.testing.assert_array_equal(last_present_index(None, (2, 5)), [4, 4])
    with pytest.raises(ValueError, match="sequence 1 has no present token"):
        last_present_index(np.array([[1, 0], [0, 0]], dtype=bool), (2, 2))


def test_scores_are_read_at_the_true_end_and_ignore_the_padding(rng):
    net = rv.Network(6, 5, 3, cell="lstm")
    params = net.init_params(rng)
    seqs = [rng.integers(1, 6, n) for n in (4, 7, 2)]
    X = np.zeros((3, 7), dtype=np.int64)
    mask = np.zeros((3, 7), dtype=bool)
    for i, s in enumerate(seqs):
        X[i, : len(s)], mask[i, : len(s)] = s, True
    scores = sequence_scores(net, params, X, mask)
    for i, s in enumerate(seqs):
        alone = net.forward(params, s[None], outputs="last").Y[0]
        np.testing.assert_allclose(scores[i], alone, rtol=1e-12)
    X2 = np.where(mask, X, rng.integers(0, 6, X.shape))  # other padding tokens: same scores
    np.testing.assert_allclose(sequence_scores(net, params, X2, mask), scores, rtol=1e-12)


def test_classification_batch_puts_the_label_at_the_last_present_step(rng):
    net = rv.Network(6, 5, 3)
    X = rng.integers(0, 6, (2, 4))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
    b = classification_batch(net, X, np.array([2, 1]), mask)
    np.testing.assert_array_equal(b.target_mask, [[0, 1, 0, 0], [0, 0, 0, 1]])
    assert b.targets[0, 1] == 2 and b.targets[1, 3] == 1
    with pytest.raises(ValueError, match="bidirectional"):
        classification_batch(rv.Network(6, 5, 3, bidirectional=True), X, np.array([2, 1]), mask)
    with pytest.raises(ValueError, match="labels"):
        classification_batch(net, X, np.array([2, 1, 0]), mask)


def test_evaluate_accuracy_counts_argmax_hits(rng):
    net = rv.Network(6, 5, 3)
    params = net.init_params(rng)
    X = rng.integers(0, 6, (20, 5))
    predicted = sequence_scores(net, params, X).argmax(-1)
    assert evaluate_accuracy(net, params, X, predicted) == 1.0
    assert evaluate_accuracy(net, params, X, (predicted + 1) % 3) == 0.0


def test_shuffled_batches_cover_each_epoch_and_are_reproducible():
    a = list(shuffled_batches(10, 3, np.random.default_rng(5), epochs=2))
    b = list(shuffled_batches(10, 3, np.random.default_rng(5), epochs=2))
    assert len(a) == 6 and all(len(i) == 3 for i in a)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert len(set(np.concatenate(a[:3]))) == 9  # no repeats inside an epoch
    with pytest.raises(TypeError, match="rng"):
        next(shuffled_batches(10, 3, 5))


@pytest.mark.parametrize("cell", ["vanilla", "lstm"])
def test_classification_objective_gradient_matches_finite_differences(cell, rng):
    """The loss the loop minimizes for padded sequences (label at the last present step), float64."""
    net = rv.Network(5, 3, 2, cell=cell)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in net.init_params(rng).items()}
    X = rng.integers(0, 5, (3, 6))
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]], dtype=bool)
    b = classification_batch(net, X, np.array([1, 0, 1]), mask)

    def loss(p):
        return net.evaluate(p, b.X, b.targets, target_mask=b.target_mask, input_mask=b.input_mask).loss

    ev = net.evaluate(params, b.X, b.targets, target_mask=b.target_mask, input_mask=b.input_mask)
    report = rv.check_gradients(loss, params, ev.grads)
    assert report.max_error < 1e-7, str(report)
