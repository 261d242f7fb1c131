"""Explored views: the PCA of a sentence's states (lesson math), its 3D figure, and lesson 2's TrajectoryApp."""

import numpy as np
import pytest

from rnnviz.lessonmath.projection import principal_components


def _states(T=12, p=6, seed=0):
    rng = np.random.default_rng(seed)
    # a path with unequal spread along its directions, shifted away from the origin
    return np.tanh(rng.standard_normal((T, p)) * np.linspace(2.0, 0.2, p) + 0.5)


# ------------------------------------------------------------------------------------------ projection
def test_projection_is_the_centred_states_times_the_components():
    H = _states()
    pr = principal_components(H, 3)
    assert pr.components.shape == (3, 6) and pr.coords.shape == (12, 3)
    np.testing.assert_allclose(pr.mean, H.mean(axis=0))
    np.testing.assert_allclose(pr.coords, (H - H.mean(axis=0)) @ pr.components.T, atol=1e-12)
    np.testing.assert_allclose(pr.components @ pr.components.T, np.eye(3), atol=1e-12)  # orthonormal


def test_explained_variance_is_the_covariance_eigenvalues_in_order():
    H = _states()
    pr = principal_components(H, 3)
    eig, vec = np.linalg.eigh(np.cov(H, rowvar=False))  # ascending
    np.testing.assert_allclose(pr.variance, eig[::-1][:3], rtol=1e-10)
    np.testing.assert_allclose(pr.variance, pr.coords.var(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(pr.total_variance, np.trace(np.cov(H, rowvar=False)), rtol=1e-12)
    np.testing.assert_allclose(pr.ratio, pr.variance / pr.total_variance, rtol=1e-12)
    assert np.all(np.diff(pr.variance) <= 0) and 0 < pr.ratio.sum() < 1
    # each component is an eigenvector of the covariance (up to its sign, fixed below)
    for j in range(3):
        assert abs(abs(pr.components[j] @ vec[:, -1 - j]) - 1) < 1e-8
    # all p components carry all the variance
    np.testing.assert_allclose(principal_components(H, 6).ratio.sum(), 1.0)


def test_sign_convention_makes_the_picture_deterministic():
    H = _states()
    pr = principal_components(H, 3)
    for row in pr.components:  # the entry largest in absolute value is positive
        assert row[np.argmax(np.abs(row))] > 0
    # -H and a reordering of the time steps give LAPACK other signs; the components do not change
    flipped = principal_components(-H, 3)
    np.testing.assert_allclose(flipped.components, pr.components, atol=1e-12)
    np.testing.assert_allclose(flipped.coords, -pr.coords, atol=1e-12)
    order = np.random.default_rng(1).permutation(len(H))
    np.testing.assert_allclose(principal_components(H[order], 3).components, pr.components, atol=1e-10)
    assert np.array_equal(principal_components(H.copy(), 3).coords, pr.coords)  # same input, same bits


def test_fewer_directions_than_components_give_zero_coordinates():
    # two states: one direction of spread; the other two components carry nothing
    H = np.array([[0.0, 1.0, 0.0, 0.5], [1.0, 0.0, 0.0, 0.5]])
    pr = principal_components(H, 3)
    np.testing.assert_allclose(pr.ratio, [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(pr.coords[:, 1:], 0.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(pr.coords[:, 0]), np.sqrt(2) / 2)
    # states that do not move: no spread at all, ratios 0 rather than 0/0
    still = principal_components(np.ones((4, 3)), 3)
    assert np.all(still.ratio == 0) and np.all(still.coords == 0) and still.total_variance == 0


@pytest.mark.parametrize("states, k, match", [
    (np.ones(5), 3, "T, p"), (np.ones((1, 5)), 3, "at least 2"), (np.ones((4, 2)), 3, "1 to p = 2"),
    (np.array([[0.0, np.nan], [1.0, 2.0]]), 1, "finite"),
])
def test_bad_states_are_refused_with_a_reason(states, k, match):
    with pytest.raises(ValueError, match=match):
        principal_components(states, k)
