"""Task generators: shapes, determinism, each task's defining property, bad input."""

from collections import Counter

import numpy as np
import pytest

import rnnviz as rv
from rnnviz.data import (
    TEMPORAL_SYMBOLS,
    adding_accuracy,
    adding_problem,
    echo_task,
    latch_problem,
    mackey_glass,
    next_step_pairs,
    temporal_order,
    word_order,
)
from rnnviz.data.tasks import ANIMALS, PERSONS

GENERATORS = {
    "word_order": lambda n, rng: word_order(n, rng=rng),
    "adding_problem": lambda n, rng: adding_problem(n, 40, rng=rng),
    "temporal_order": lambda n, rng: temporal_order(n, rng=rng),
    "latch_problem": lambda n, rng: latch_problem(n, 30, rng=rng),
    "echo_task": lambda n, rng: echo_task(n, 15, 4, rng=rng),
    "echo_task_real": lambda n, rng: echo_task(n, 15, 4, num_symbols=None, rng=rng),
}


def _arrays(task):
    return [v for v in task if isinstance(v, np.ndarray)]


# =========================================================================== common to all generators
@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(name):
    make = GENERATORS[name]
    a, b = make(50, np.random.default_rng(7)), make(50, np.random.default_rng(7))
    for x, y in zip(_arrays(a), _arrays(b)):
        np.testing.assert_array_equal(x, y)
    c = make(50, np.random.default_rng(8))
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", GENERATORS)
def test_every_array_has_one_row_per_sequence(name):
    task = GENERATORS[name](12, np.random.default_rng(0))
    assert all(arr.shape[0] == 12 for arr in _arrays(task))
    assert task.X.dtype in (np.int64, np.float64)


@pytest.mark.parametrize("name", GENERATORS)
def test_bad_n_and_rng_are_refused_naming_the_argument(name):
    make = GENERATORS[name]
    with pytest.raises(ValueError, match="n: must be > 0"):
        make(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n: must be > 0"):
        make(-3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n: expected a whole number"):
        make(2.5, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"rng: expected a numpy.random.Generator.*got int"):
        make(4, 0)
    with pytest.raises(TypeError, match="rng: .*got RandomState"):
        make(4, np.random.RandomState(0))


# =========================================================================== word order
def _agent_is_person(sentence: str) -> bool:
    """Who acts, read off the word order: the first noun in the active voice, the noun after 'by' in the passive."""
    words = sentence.split()
    nouns = [w for w in words if w in PERSONS or w in ANIMALS]
    agent = nouns[1] if "by" in words else nouns[0]
    return agent in PERSONS


def test_word_order_labels_follow_who_acts():
    task = word_order(400, rng=np.random.default_rng(0))
    assert [int(_agent_is_person(s)) for s in task.sentences] == task.y.tolist()
    assert {"was", "by"} <= {w for s in task.sentences for w in s.split()}  # both voices occur


def test_word_order_every_example_has_a_mirror_with_the_same_word_counts():
    task = word_order(600, rng=np.random.default_rng(1))
    bags = [frozenset(Counter(s.split()).items()) for s in task.sentences]
    per_class = [Counter(b for b, y in zip(bags, task.y) if y == c) for c in (0, 1)]
    for bag, y in zip(bags, task.y):
        assert per_class[1 - y][bag] > 0
    # stronger: each bag of words occurs equally often in both classes, so the best
    # bag-of-words classifier is exactly at chance on these data
    assert per_class[0] == per_class[1]
    assert np.bincount(task.y).tolist() == [300, 300]


def test_word_order_unpaired_classes_share_one_word_count_distribution():
    task = word_order(20_000, rng=np.random.default_rng(2), paired=False)
    freq = []
    for c in (0, 1):
        counts = Counter(w for s, y in zip(task.sentences, task.y) if y == c for w in s.split())
        total = sum(counts.values())
        freq.append({w: counts[w] / total for w in task.vocab.tokens[1:]})
    gap = max(abs(freq[0][w] - freq[1][w]) for w in freq[0])
    assert gap < 0.01  # same distribution up to sampling noise; the order alone tells the classes apart


def test_word_order_ids_mask_lengths_and_targets_agree():
    task = word_order(50, rng=np.random.default_rng(3))
    assert task.vocab.level == "word" and task.vocab == word_order(2, rng=np.random.default_rng(9)).vocab
    assert task.X.shape == task.mask.shape == task.targets.shape == (50, task.lengths.max())
    np.testing.assert_array_equal(task.mask.sum(axis=1), task.lengths)
    for i, sentence in enumerate(task.sentences):
        assert task.vocab.decode(task.X[i, task.mask[i]]) == sentence
        assert len(sentence.split()) == task.lengths[i]
    assert (task.X[~task.mask] == task.vocab.unknown_id).all()
    assert 5 <= task.lengths.min() and task.lengths.max() <= 9
    np.testing.assert_array_equal(task.target_mask.sum(axis=1), 1)
    np.testing.assert_array_equal(np.argmax(task.target_mask, axis=1), task.lengths - 1)
    np.testing.assert_array_equal(task.targets[task.target_mask], task.y)


def test_word_order_left_padding_ends_every_sentence_at_the_last_step():
    right = word_order(30, rng=np.random.default_rng(4))
    left = word_order(30, rng=np.random.default_rng(4), pad="left")
    assert left.mask[:, -1].all() and left.target_mask[:, -1].all()
    for i in range(30):
        np.testing.assert_array_equal(left.X[i, left.mask[i]], right.X[i, right.mask[i]])


def test_word_order_options_are_checked():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n: must be even with paired=True"):
        word_order(7, rng=rng)
    assert word_order(7, rng=rng, paired=False).X.shape[0] == 7
    with pytest.raises(ValueError, match="adjective_prob"):
        word_order(4, rng=rng, adjective_prob=1.5)
    with pytest.raises(ValueError, match="pad"):
        word_order(4, rng=rng, pad="middle")
    only_active = word_order(40, rng=rng, passive_prob=0.0, adjective_prob=0.0)
    assert set(only_active.lengths.tolist()) == {5}


def test_word_order_feeds_a_network_sequence_classifier():
    task = word_order(8, rng=np.random.default_rng(5))
    net = rv.Network(input_size=len(task.vocab), hidden_size=6, output_size=2)
    params = net.init_params(np.random.default_rng(0))
    ev = net.evaluate(params, task.X, task.targets, target_mask=task.target_mask, input_mask=task.mask)
    assert ev.loss_result.count == 8 and np.isfinite(ev.loss)


# =========================================================================== adding problem
def test_adding_problem_follows_hochreiter_and_schmidhuber():
    T = 100
    task = adding_problem(3000, T, rng=np.random.default_rng(0))
    values, markers = task.X[..., 0], task.X[..., 1]
    rows = np.arange(3000)
    assert task.X.shape == (3000, task.lengths.max(), 2) and task.y.shape == (3000, 1)
    assert task.lengths.min() == T and task.lengths.max() == T + T // 10  # lengths between T and T + T/10
    assert np.abs(values).max() <= 1.0 and set(np.unique(markers)) == {-1.0, 0.0, 1.0}
    # exactly two marked pairs: one of the first ten, one of the first T/2
    np.testing.assert_array_equal((markers == 1).sum(axis=1), 2)
    first, second = task.positions.T
    assert first.max() < 10 and second.max() < T // 2 and (first != second).all()
    np.testing.assert_array_equal(markers[rows, first], 1.0)
    np.testing.assert_array_equal(markers[rows, second], 1.0)
    # -1 at the first (unless marked) and final pair, nowhere else
    np.testing.assert_array_equal(markers[rows, task.lengths - 1], -1.0)
    first_marked = (first == 0) | (second == 0)
    np.testing.assert_array_equal(markers[~first_marked, 0], -1.0)
    np.testing.assert_array_equal((markers == -1).sum(axis=1), 2 - first_marked)
    np.testing.assert_array_equal(values[first_marked, 0], 0.0)  # X set to zero when the first pair is marked
    # the target, recomputed from the inputs alone
    target = 0.5 + (values * (markers == 1)).sum(axis=1) / 4.0
    np.testing.assert_allclose(task.y[:, 0], target, rtol=0, atol=1e-15)
    assert 0.0 <= task.y.min() and task.y.max() <= 1.0


def test_adding_problem_markers_cover_their_windows_uniformly():
    task = adding_problem(40_000, 20, rng=np.random.default_rng(1), vary_length=False)
    first, second = task.positions.T
    np.testing.assert_array_equal(np.unique(first), np.arange(10))
    np.testing.assert_array_equal(np.unique(second), np.arange(10))  # the first half, T/2 = 10
    freq = np.bincount(second) / len(second)
    assert np.abs(freq - 0.1).max() < 0.01


def test_adding_problem_padding_and_last_step_targets():
    task = adding_problem(200, 50, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(task.mask.sum(axis=1), task.lengths)
    assert (task.X[~task.mask] == 0).all()
    np.testing.assert_array_equal(np.argmax(task.target_mask, axis=1), task.lengths - 1)
    np.testing.assert_array_equal(task.targets[task.target_mask], task.y)
    assert task.targets.shape == task.X.shape[:2] + (1,)
    left = adding_problem(200, 50, rng=np.random.default_rng(2), pad="left")
    assert left.target_mask[:, -1].all()
    np.testing.assert_array_equal(left.y, task.y)
    np.testing.assert_array_equal(left.X[np.arange(200)[:, None], left.positions, 1], 1.0)


def test_adding_problem_later_conventions():
    task = adding_problem(100, 30, rng=np.random.default_rng(3), vary_length=False, end_markers=False)
    assert task.X.shape == (100, 30, 2) and task.mask.all()
    assert not (task.X[..., 1] == -1).any()
    small = adding_problem(100, 8, rng=np.random.default_rng(3), first_window=3)
    assert small.positions[:, 0].max() < 3 and small.positions[:, 1].max() < 4


def test_adding_problem_constant_guess_scores_about_one_over_24():
    """Guessing 0.5 scores E[(X1 + X2)^2] / 16 = 1/24, a little less when a value at step 0 is zeroed."""
    plain = adding_problem(50_000, 40, rng=np.random.default_rng(4), end_markers=False)
    assert abs(np.mean((plain.y - 0.5) ** 2) - 1 / 24) < 0.001
    task = adding_problem(50_000, 40, rng=np.random.default_rng(4))
    p0 = 1 / 10 + 9 / 10 * 1 / 19  # step 0 marked: first marker there, or the second (19 candidates)
    assert abs(np.mean((task.y - 0.5) ** 2) - (1 - p0 / 2) / 24) < 0.001


def test_adding_accuracy_uses_the_papers_tolerance():
    target = np.array([[0.2], [0.5], [0.9]])
    assert adding_accuracy(target, target) == 1.0
    assert adding_accuracy(target[:, 0] + np.array([0.039, -0.039, 0.05]), target) == pytest.approx(2 / 3)
    assert adding_accuracy(target + 0.05, target) == 0.0
    assert adding_accuracy(target + 0.05, target, tol=0.1) == 1.0
    with pytest.raises(ValueError, match="target"):
        adding_accuracy(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="pred"):
        adding_accuracy([np.nan, 0.5], [0.5, 0.5])


def test_adding_problem_bad_lengths():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"length: must be >= 20.*got 10"):
        adding_problem(5, 10, rng=rng)
    with pytest.raises(ValueError, match="first_window"):
        adding_problem(5, 100, rng=rng, first_window=0)
    with pytest.raises(ValueError, match="length: must be >= 60"):
        adding_problem(5, 40, rng=rng, first_window=30)
    with pytest.raises(TypeError, match="vary_length"):
        adding_problem(5, 40, rng=rng, vary_length="yes")


def test_adding_problem_feeds_a_regression_network():
    task = adding_problem(6, 20, rng=np.random.default_rng(5))
    net = rv.Network(input_size=2, hidden_size=4, output_size=1, cell="lstm")
    params = net.init_params(np.random.default_rng(0))
    ev = net.evaluate(params, task.X, task.targets, loss="squared_error", target_mask=task.target_mask,
                      input_mask=task.mask)
    assert ev.loss_result.count == 6 and np.isfinite(ev.loss)


# =========================================================================== temporal order
def test_temporal_order_sequences_and_labels():
    task = temporal_order(2000, rng=np.random.default_rng(0))
    sym = {s: i for i, s in enumerate(TEMPORAL_SYMBOLS)}
    rows = np.arange(2000)
    assert 100 <= task.lengths.min() and task.lengths.max() <= 110
    np.testing.assert_array_equal(task.X[:, 0], sym["E"])
    np.testing.assert_array_equal(task.X[rows, task.lengths - 1], sym["B"])
    relevant = (task.X == sym["X"]) | (task.X == sym["Y"])
    np.testing.assert_array_equal(relevant.sum(axis=1), 2)
    p1, p2 = task.positions.T
    assert relevant[rows, p1].all() and relevant[rows, p2].all()
    assert (9 <= p1).all() and (p1 <= 19).all() and (49 <= p2).all() and (p2 <= 59).all()  # 1-based 10-20, 50-60
    assert set(p1 + 1) == set(range(10, 21)) and set(p2 + 1) == set(range(50, 61))
    inner = task.mask.copy()
    inner[:, 0] = False
    inner[rows, task.lengths - 1] = False
    inner &= ~relevant
    assert (task.X[inner] < 4).all()  # distractors a, b, c, d
    # the label is the order of the two symbols: XX 0, XY 1, YX 2, YY 3
    first_y = task.X[rows, p1] == sym["Y"]
    second_y = task.X[rows, p2] == sym["Y"]
    np.testing.assert_array_equal(task.y, 2 * first_y + second_y)
    assert [task.class_names[c] for c in task.y[:5]] == [
        TEMPORAL_SYMBOLS[a] + TEMPORAL_SYMBOLS[b] for a, b in zip(task.X[rows[:5], p1[:5]], task.X[rows[:5], p2[:5]])
    ]
    assert np.all(np.abs(np.bincount(task.y) / 2000 - 0.25) < 0.04)
    np.testing.assert_array_equal(task.targets[task.target_mask], task.y)
    np.testing.assert_array_equal(np.argmax(task.target_mask, axis=1), task.lengths - 1)


def test_temporal_order_small_classroom_version_and_left_padding():
    task = temporal_order(300, (20, 22), t1=(3, 5), t2=(10, 12), rng=np.random.default_rng(1), pad="left")
    sym = {s: i for i, s in enumerate(TEMPORAL_SYMBOLS)}
    assert task.X.shape == (300, 22)
    np.testing.assert_array_equal(task.X[:, -1], sym["B"])
    starts = task.X.shape[1] - task.lengths
    np.testing.assert_array_equal(task.X[np.arange(300), starts], sym["E"])
    np.testing.assert_array_equal(task.positions[:, 0] - starts + 1 >= 3, True)
    assert task.target_mask[:, -1].all()
    fixed = temporal_order(5, 30, t1=4, t2=12, rng=np.random.default_rng(1))
    assert (fixed.lengths == 30).all() and (fixed.positions == [3, 11]).all()


def test_temporal_order_bad_positions():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="t2: must come after t1"):
        temporal_order(4, rng=rng, t1=(10, 20), t2=(15, 30))
    with pytest.raises(ValueError, match="length: too short"):
        temporal_order(4, (40, 50), rng=rng)
    with pytest.raises(ValueError, match="t1: position 1 holds the start symbol"):
        temporal_order(4, rng=rng, t1=(1, 5))
    with pytest.raises(ValueError, match=r"length: expected \(low, high\) with low <= high"):
        temporal_order(4, (110, 100), rng=rng)
    with pytest.raises(ValueError, match="t1: expected an int or a"):
        temporal_order(4, rng=rng, t1=(1, 2, 3))


# =========================================================================== latch
def test_latch_problem_signal_then_noise():
    task = latch_problem(4000, 60, latch_steps=3, rng=np.random.default_rng(0))
    assert task.X.shape == (4000, 60, 1) and task.latch_steps == 3
    sign = 2 * task.y - 1
    np.testing.assert_array_equal(task.X[:, :3, 0], np.repeat(sign[:, None], 3, axis=1).astype(float))
    noise = task.X[:, 3:, 0]
    assert abs(noise.var() - 0.2) < 0.01 and abs(noise.mean()) < 0.01
    # the noise says nothing about the class
    assert abs(noise[task.y == 1].mean() - noise[task.y == 0].mean()) < 0.01
    assert abs(task.y.mean() - 0.5) < 0.03


def test_latch_problem_bad_arguments_and_network():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="length: must exceed latch_steps"):
        latch_problem(4, 3, latch_steps=3, rng=rng)
    with pytest.raises(ValueError, match="noise_std"):
        latch_problem(4, 10, noise_std=-1.0, rng=rng)
    task = latch_problem(5, 10, rng=rng)
    net = rv.Network(input_size=1, hidden_size=3, output_size=2)
    ev = net.evaluate(net.init_params(rng), task.X, task.y, outputs="last")
    assert ev.forward.Y.shape == (5, 2) and np.isfinite(ev.loss)


# =========================================================================== echo
@pytest.mark.parametrize("num_symbols", [4, None])
def test_echo_targets_are_the_lagged_inputs(num_symbols):
    lag = 5
    task = echo_task(30, 16, lag, num_symbols=num_symbols, rng=np.random.default_rng(0))
    assert task.lag == lag and task.y.shape == task.X.shape
    for t in range(16):
        assert task.target_mask[:, t].all() == (t >= lag) and task.target_mask[:, t].any() == (t >= lag)
        if t >= lag:
            np.testing.assert_array_equal(task.y[:, t], task.X[:, t - lag])
        else:
            assert (task.y[:, t] == 0).all()
    if num_symbols is None:
        assert task.X.shape == (30, 16, 1) and np.abs(task.X).max() <= 1
    else:
        assert task.X.dtype == np.int64 and set(np.unique(task.X)) == {0, 1, 2, 3}


def test_echo_lag_zero_is_the_identity_and_bad_lags_are_refused():
    task = echo_task(3, 6, 0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(task.y, task.X)
    assert task.target_mask.all()
    with pytest.raises(ValueError, match=r"lag: must be < length \(6\)"):
        echo_task(3, 6, 6, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="lag: must be >= 0"):
        echo_task(3, 6, -1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="num_symbols: must be >= 2"):
        echo_task(3, 6, 1, num_symbols=1, rng=np.random.default_rng(0))


def test_echo_feeds_a_network_with_a_target_mask():
    task = echo_task(4, 10, 3, num_symbols=5, rng=np.random.default_rng(1))
    net = rv.Network(input_size=5, hidden_size=8, output_size=5, cell="gru")
    ev = net.evaluate(net.init_params(np.random.default_rng(0)), task.X, task.y, target_mask=task.target_mask)
    assert ev.loss_result.count == 4 * 7


# =========================================================================== Mackey-Glass
def _euler_reference(length, tau=17.0, dt=0.001, x0=1.2):
    """An independent integration: forward Euler with a tiny step, constant history x0."""
    lag, per = int(round(tau / dt)), int(round(1.0 / dt))
    buf = [x0] * (lag + 1)
    out = [x0]
    for i in range((length - 1) * per):
        x, xd = buf[-1], buf[-1 - lag]
        buf.append(x + dt * (0.2 * xd / (1.0 + xd**10) - 0.1 * x))
        if (i + 1) % per == 0:
            out.append(buf[-1])
    return np.array(out)


def test_mackey_glass_matches_an_independent_integration():
    series = mackey_glass(150)
    assert series.shape == (150,) and series.dtype == np.float64 and series[0] == 1.2
    err_fine = np.abs(_euler_reference(150, dt=0.001) - series).max()
    err_finer = np.abs(_euler_reference(150, dt=0.0005) - series).max()
    assert err_fine < 5e-4
    assert err_finer < 0.6 * err_fine  # Euler converges to our values as its step shrinks


def test_mackey_glass_is_bounded_and_chaotic_at_tau_17_but_not_below():
    def peak_heights(s):
        mid = s[1:-1]
        return np.unique(np.round(mid[(mid > s[:-2]) & (mid > s[2:])], 3))

    def autocorr(s):
        z = s - s.mean()
        return np.correlate(z, z, "full")[len(z) - 1 :] / (z @ z)

    chaotic = mackey_glass(3000, discard=1000)
    assert 0.2 < chaotic.min() and chaotic.max() < 1.5 and chaotic.std() > 0.15
    assert len(peak_heights(chaotic)) > 40  # no two cycles alike
    ac = autocorr(chaotic)
    assert ac[np.argmax(ac < 0) :][:1000].max() < 0.9  # never comes back to itself
    periodic = mackey_glass(3000, 7.0, discard=1000)
    assert len(peak_heights(periodic)) <= 4
    ac = autocorr(periodic)
    assert ac[np.argmax(ac < 0) :][:1000].max() > 0.95
    fixed = mackey_glass(500, 2.0, discard=500)
    np.testing.assert_allclose(fixed, 1.0, atol=1e-6)  # x* = 1 solves beta/(1 + x^n) = gamma


def test_mackey_glass_sensitivity_to_initial_conditions():
    a = mackey_glass(4000)
    b = mackey_glass(4000, x0=1.2 + 1e-9)
    gap = np.abs(a - b)
    assert gap[:100].max() < 1e-7 and gap[3000:].max() > 1e-2


def test_mackey_glass_determinism_rng_and_arguments():
    np.testing.assert_array_equal(mackey_glass(300), mackey_glass(300))
    r1 = mackey_glass(300, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(r1, mackey_glass(300, rng=np.random.default_rng(1)))
    assert not np.allclose(r1, mackey_glass(300, rng=np.random.default_rng(2)))
    np.testing.assert_array_equal(mackey_glass(100, discard=50), mackey_glass(150)[50:])
    np.testing.assert_allclose(mackey_glass(20, sample_step=0.5)[::2], mackey_glass(10), rtol=0, atol=0)
    with pytest.raises(ValueError, match="length: must be > 0"):
        mackey_glass(0)
    with pytest.raises(ValueError, match="tau: must be > 0"):
        mackey_glass(10, 0)
    with pytest.raises(ValueError, match="dt: must divide tau"):
        mackey_glass(10, 17.05)
    with pytest.raises(ValueError, match="sample_step"):
        mackey_glass(10, sample_step=0.25)
    with pytest.raises(TypeError, match="rng"):
        mackey_glass(10, rng=1)


def test_next_step_pairs_shifts_the_series():
    s = mackey_glass(50)
    task = next_step_pairs(s, horizon=3)
    assert task.X.shape == task.y.shape == (1, 47, 1)
    np.testing.assert_array_equal(task.y[0, :, 0], s[3:])
    np.testing.assert_array_equal(task.X[0, :, 0], s[:-3])
    with pytest.raises(ValueError, match="horizon"):
        next_step_pairs(s, horizon=50)
    with pytest.raises(ValueError, match="series"):
        next_step_pairs(np.zeros((2, 3)))
