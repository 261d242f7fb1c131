r"""The bag-of-words baseline, and a sequence classifier API shared with the RNN.

The chapter opens with the bag of words: a sentence becomes the vector c of how
often each of the V words occurs in it, c_v = sum_t [x_t = v], and an ordinary
network reads c. Word order is lost: "the dog bit the man" and "the man bit the
dog" have the same c, so no bag-of-words model can tell them apart, whereas a
recurrent network reads the words in order.

Two bag-of-words models, each with its forward and backward written out:

* :class:`BagOfWordsLogistic`, (multinomial) logistic regression: y = W_xy c + b_y;
* :class:`BagOfWordsMLP`, one hidden layer: h = tanh(W_xh c + b_h), y = W_hy h + b_y
  (the names the RNN uses, minus the recurrence W_hh).

They read the same data as the RNN sequence classifier -- token ids X (N, T), a mask
(N, T) that is False at padding, labels (N,) -- and have the ``forward``/``backward``
pair the training loop needs, so :func:`rnnviz.core.train.train` trains them as it
trains a Network. :class:`SequenceClassifier` wraps either kind behind
``fit``/``predict``/``accuracy`` for a side-by-side comparison::

    rnn = rnn_classifier(V, 2, hidden_size=32, rng=rng)
    bow = bow_classifier(V, 2, rng=rng)
    for clf in (rnn, bow):
        clf.fit(X, mask, y, steps=300, rng=rng)
        print(clf.accuracy(X_test, mask_test, y_test))

The RNN classifier reads each sentence's class from y at its **last present
word** (the mask's last True), computed from the state h_t there, so padding at
the end of a sentence is never read and the result is exactly that of the
unpadded sentence (see :func:`rnnviz.core.train.classification_batch`). That
needs a unidirectional network: ``Network`` has no per-sequence lengths, so a
bidirectional one would start its backward direction in the padding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .checks import as_index_array, as_mask, check_choice, check_params, check_positive
from .losses import softmax
from .network import Network
from .optim import Adam, Optimizer
from .train import StepRecord, Trainer, TrainResult, classification_batches, sequence_scores

__all__ = [
    "BagOfWordsLogistic",
    "BagOfWordsMLP",
    "BowBackward",
    "BowForward",
    "SequenceClassifier",
    "bag_of_words",
    "bow_classifier",
    "rnn_classifier",
]


def bag_of_words(X, mask=None, *, vocab_size: int) -> np.ndarray:
    """Count vectors c (N, V): c[n, v] = number of present time-stamps t with X[n, t] = v.

    X: (N, T) token ids in [0, V); mask: (N, T), False where there is no token (padding).
    """
    V = int(check_positive("vocab_size", vocab_size, integer=True))
    X = as_index_array("X", X, ("N", "T"), high=V)
    mask = as_mask("mask", mask, X.shape)
    N = X.shape[0]
    counts = np.zeros((N, V))
    rows = np.repeat(np.arange(N), X.shape[1])  # (N*T,) the sequence of each token
    weights = None if mask is None else mask.ravel().astype(float)
    np.add.at(counts, (rows, X.ravel()), 1.0 if weights is None else weights)
    return counts


class BowForward(NamedTuple):
    Y: np.ndarray  # (N, K) class scores
    cache: tuple  # what backward needs


class BowBackward(NamedTuple):
    grads: dict  # same keys as params


class _BagOfWords:
    """Shared parts: parameter shapes and checks, init, and the count features."""

    def __init__(self, vocab_size: int, num_classes: int, *, dtype: type = np.float64):
        self.input_size = self.vocab_size = int(check_positive("vocab_size", vocab_size, integer=True))
        self.output_size = self.num_classes = int(check_positive("num_classes", num_classes, integer=True))
        self.dtype = np.dtype(dtype)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_params(self, params: Mapping[str, np.ndarray]) -> None:
        check_params("params", params, self.param_shapes())

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights, zero biases."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
        params = {}
        for name, shape in self.param_shapes().items():
            if name.startswith("W_"):
                s = 1.0 / np.sqrt(shape[1])
                params[name] = rng.uniform(-s, s, shape).astype(self.dtype)
            else:
                params[name] = np.zeros(shape, self.dtype)
        return params

    def features(self, X, input_mask=None) -> np.ndarray:
        return bag_of_words(X, input_mask, vocab_size=self.vocab_size).astype(self.dtype, copy=False)


class BagOfWordsLogistic(_BagOfWords):
    r"""Logistic regression on word counts: y = W_xy c + b_y, p = softmax(y).

    Backward: dL/dW_xy = dY^T c (summed over the batch), dL/db_y = sum dY.
    """

    def param_shapes(self):
        return {"W_xy": (self.num_classes, self.vocab_size), "b_y": (self.num_classes,)}

    def forward(self, params, X, *, input_mask=None) -> BowForward:
        """X: (N, T) ids, input_mask: (N, T) -> scores Y (N, K)."""
        self.check_params(params)
        c = self.features(X, input_mask)  # (N, V)
        return BowForward(c @ params["W_xy"].T + params["b_y"], (c,))

    def backward(self, params, dY, cache) -> BowBackward:
        (c,) = cache
        return BowBackward({"W_xy": dY.T @ c, "b_y": dY.sum(axis=0)})

    def __repr__(self):
        return f"BagOfWordsLogistic(V={self.vocab_size}, K={self.num_classes})"


class BagOfWordsMLP(_BagOfWords):
    r"""One hidden layer on word counts: h = f(W_xh c + b_h), y = W_hy h + b_y.

    Backward: dL/dh = dY W_hy; da = dL/dh * f'(a) with dh/da = 1 - h**2 for tanh
    (or [h > 0] for relu); dL/dW_xh = da^T c, dL/dW_hy = dY^T h.
    """

    def __init__(self, vocab_size: int, num_classes: int, hidden_size: int = 32, *, activation: str = "tanh",
                 dtype: type = np.float64):
        super().__init__(vocab_size, num_classes, dtype=dtype)
        self.hidden_size = int(check_positive("hidden_size", hidden_size, integer=True))
        self.activation = check_choice("activation", activation, ("tanh", "relu"))

    def param_shapes(self):
        V, H, K = self.vocab_size, self.hidden_size, self.num_classes
        return {"W_xh": (H, V), "b_h": (H,), "W_hy": (K, H), "b_y": (K,)}

    def forward(self, params, X, *, input_mask=None) -> BowForward:
        self.check_params(params)
        c = self.features(X, input_mask)  # (N, V)
        a = c @ params["W_xh"].T + params["b_h"]  # (N, H)
        h = np.tanh(a) if self.activation == "tanh" else np.maximum(a, 0.0)
        return BowForward(h @ params["W_hy"].T + params["b_y"], (c, h))

    def backward(self, params, dY, cache) -> BowBackward:
        c, h = cache
        dh = dY @ params["W_hy"]  # (N, H)
        da = dh * (1.0 - h * h) if self.activation == "tanh" else dh * (h > 0)
        return BowBackward({"W_xh": da.T @ c, "b_h": da.sum(axis=0), "W_hy": dY.T @ h, "b_y": dY.sum(axis=0)})

    def __repr__(self):
        return f"BagOfWordsMLP(V={self.vocab_size}, H={self.hidden_size}, K={self.num_classes}, {self.activation})"


# =========================================================================== fit / predict / accuracy
class SequenceClassifier:
    """One label per sequence from token ids, for a Network (the RNN) or a bag-of-words model.

    Data everywhere: X (N, T) token ids, mask (N, T) True where a token is present
    (None: all present), labels (N,) in [0, K). ``params`` is replaced by every ``fit``.
    """

    def __init__(self, model, *, rng: np.random.Generator):
        if isinstance(model, Network) and model.bidirectional:
            raise ValueError("model: use a unidirectional Network (see rnnviz.core.bow: no per-sequence lengths)")
        if getattr(model, "output_size", None) is None:
            raise ValueError("model: needs an output layer with one score per class (output_size = number of classes)")
        self.model = model
        self.params = model.init_params(rng)
        self.history: list[StepRecord] = []

    @property
    def num_classes(self) -> int:
        return self.model.output_size

    def __repr__(self) -> str:
        return f"SequenceClassifier({self.model!r})"

    def fit(
        self, X, mask, labels, *, steps: int, rng: np.random.Generator, batch_size: int = 32,
        optimizer: Optimizer | None = None, clip: tuple | None = ("norm", 5.0),
        callbacks: Sequence[Callable[[StepRecord], object]] = (),
    ) -> TrainResult:
        """Train on shuffled minibatches (drawn with ``rng``) for ``steps`` steps; mean loss per sequence.

        Default optimizer ``Adam(lr=1e-2)``, a fresh state each call. ``self.params`` is
        updated after every step, so a callback may call ``self.accuracy`` on held-out data.
        """
        X = as_index_array("X", X, ("N", "T"), high=self.model.input_size)
        labels = as_index_array("labels", labels, (X.shape[0],), high=self.num_classes)
        mask = as_mask("mask", mask, X.shape)
        optimizer = Adam(lr=1e-2) if optimizer is None else optimizer
        batches = classification_batches(self.model, X, labels, mask, batch_size, rng)
        trainer = Trainer(self.model, self.params, optimizer, clip=clip)

        def sync(record):  # self.params follows the training, so callbacks can call self.accuracy
            self.params = trainer.params

        result = trainer.run(batches, steps, callbacks=[sync, *([callbacks] if callable(callbacks) else callbacks)])
        self.params = result.params
        self.history.extend(result.history)
        return result

    def predict_proba(self, X, mask=None) -> np.ndarray:
        """Class probabilities (N, K)."""
        X = as_index_array("X", X, ("N", "T"), high=self.model.input_size)
        return softmax(sequence_scores(self.model, self.params, X, as_mask("mask", mask, X.shape)))

    def predict(self, X, mask=None) -> np.ndarray:
        """The likeliest class of each sequence (N,)."""
        return self.predict_proba(X, mask).argmax(axis=-1)

    def accuracy(self, X, mask, labels) -> float:
        """Share of sequences classified correctly."""
        X = as_index_array("X", X, ("N", "T"), high=self.model.input_size)
        labels = as_index_array("labels", labels, (X.shape[0],), high=self.num_classes)
        return float(np.mean(self.predict(X, mask) == labels))


def rnn_classifier(
    vocab_size: int, num_classes: int, hidden_size: int | Sequence[int] = 32, *, cell: str | Sequence[str] = "vanilla",
    num_layers: int = 1, cell_options=None, rng: np.random.Generator,
) -> SequenceClassifier:
    """An RNN reading token ids and classifying from its state at each sequence's last token."""
    net = Network(vocab_size, hidden_size, num_classes, cell=cell, num_layers=num_layers, cell_options=cell_options)
    return SequenceClassifier(net, rng=rng)


def bow_classifier(
    vocab_size: int, num_classes: int, hidden_size: int | None = None, *, activation: str = "tanh",
    rng: np.random.Generator,
) -> SequenceClassifier:
    """A bag-of-words classifier: logistic regression, or a one-hidden-layer MLP when ``hidden_size`` is given."""
    if hidden_size is None:
        model = BagOfWordsLogistic(vocab_size, num_classes)
    else:
        model = BagOfWordsMLP(vocab_size, num_classes, hidden_size, activation=activation)
    return SequenceClassifier(model, rng=rng)
