r"""Language models: an RNN that reads a text one token at a time and predicts the next one.

The chapter's 7.2.1: the input x_t is the one-hot vector of token t (here its id,
which selects a column of W_xh), the output y_t = W_hy h_t + b_y gives through the
softmax the probabilities p_t of the *next* token, and the loss is
L = -sum_t log p_t^{j_t} with j_t the id of the token that really comes next.
The loss is reported per token in nats (natural logarithm); the perplexity is
exp(loss), "how many tokens the model hesitates between" on average.

    >>> from rnnviz.data import Vocabulary, load_corpus          # doctest: +SKIP
    >>> text = load_corpus("alice")
    >>> lm = LanguageModel(Vocabulary.from_text(text), 128, rng=np.random.default_rng(0))
    >>> result = lm.fit(text, steps=500)                         # stateful truncated BPTT
    >>> lm.perplexity(text[:2000]), lm.unigram_baseline(text)
    >>> print(lm.sample(200, prefix="Alice ", temperature=0.7, rng=np.random.default_rng(1)))

The vocabulary is any object with ``encode(text) -> ids``, ``decode(ids) -> str``
and ``len(vocab)``, such as :class:`rnnviz.data.Vocabulary`. What happens to a
character the vocabulary does not know is the vocabulary's choice: ``Vocabulary``
maps it to ``"<unk>"`` (id 0) by default; a vocabulary whose ``encode`` raises
gives a ``ValueError`` naming the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .checks import as_index_array, check_positive
from .losses import log_softmax, softmax_nll
from .network import Network, stream_windows
from .optim import Adam, Optimizer
from .train import Batch, StepRecord, Trainer, TrainResult

__all__ = ["LanguageModel", "unigram_cross_entropy"]


def unigram_cross_entropy(ids, vocab_size: int, reference=None, *, smoothing: float = 1.0) -> float:
    """Loss per token (nats) of the model that ignores all context and predicts every token
    with one fixed distribution q: -mean_t log q(j_t).

    Without ``reference`` q is the frequency of each token in ``ids`` itself, so the
    value is the entropy of that distribution: the best any context-free model can
    do on these tokens. With ``reference`` (e.g. the training text's ids) q is
    estimated there with ``smoothing`` added to every count (so a token never seen
    there does not cost an infinite loss).
    """
    V = int(check_positive("vocab_size", vocab_size, integer=True))
    ids = as_index_array("ids", ids, ("T",), high=V)
    if reference is None:
        counts = np.bincount(ids, minlength=V).astype(float)
    else:
        reference = as_index_array("reference", reference, ("T",), high=V)
        counts = np.bincount(reference, minlength=V) + check_positive("smoothing", smoothing, allow_zero=True)
    q = counts / counts.sum()
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(q[ids])))


class LanguageModel:
    """A next-token model over ``vocab``: a :class:`~rnnviz.core.Network` with input and output size V.

    vocab: ``encode``/``decode``/``len`` (e.g. ``rnnviz.data.Vocabulary``); hidden_size: H;
    cell, num_layers, cell_options: as for ``Network``; rng: generator for the initial weights.

    Attributes: ``net`` (the Network), ``params`` (replaced by every ``fit``),
    ``history`` (the StepRecords of all fits), ``unigram`` (token frequencies of the
    last text fitted, used for the first token when sampling without a prefix).
    """

    #: length of the pieces a long text is run in when evaluating (the state is carried, so the result is exact)
    eval_chunk = 256

    def __init__(
        self, vocab, hidden_size: int | Sequence[int], *, cell: str | Sequence[str] = "vanilla", num_layers: int = 1,
        cell_options=None, rng: np.random.Generator,
    ):
        for attr in ("encode", "decode", "__len__"):
            if not hasattr(vocab, attr):
                raise TypeError(f"vocab: expected an object with encode(text), decode(ids) and len(); "
                                f"{type(vocab).__name__} has no {attr}")
        self.vocab = vocab
        self.vocab_size = V = len(vocab)
        if V < 2:
            raise ValueError(f"vocab: needs at least 2 tokens to predict anything, has {V}")
        self.net = Network(V, hidden_size, V, cell=cell, num_layers=num_layers, cell_options=cell_options)
        self.params = self.net.init_params(rng)
        self.history: list[StepRecord] = []
        self.unigram: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"LanguageModel(V={self.vocab_size}, {self.net!r})"

    # ------------------------------------------------------------------ text <-> ids
    def _ids(self, name: str, data, *, min_len: int = 2) -> np.ndarray:
        """Token ids (T,) of a str (through the vocabulary) or of an integer sequence."""
        if isinstance(data, str):
            if not data:
                raise ValueError(f"{name}: is empty; give some text")
            try:
                ids = self.vocab.encode(data)
            except (KeyError, ValueError) as err:
                raise ValueError(f"{name}: the vocabulary cannot encode it: {err}") from err
        else:
            ids = data
        ids = as_index_array(name, np.asarray(ids), ("T",), high=self.vocab_size, allow_empty=True)
        if ids.size < min_len:
            what = "a token" if min_len == 1 else f"at least {min_len} tokens (one to read, one to predict)"
            raise ValueError(f"{name}: has {ids.size} token(s); needs {what}")
        return ids

    # ------------------------------------------------------------------ training
    def fit(
        self, data, steps: int, *, batch_size: int = 32, window: int = 50, optimizer: Optimizer | None = None,
        clip: tuple | None = ("norm", 5.0), callbacks: Sequence[Callable[[StepRecord], object]] = (),
    ) -> TrainResult:
        """Train on a text (str) or token ids for ``steps`` optimizer steps (stateful truncated BPTT).

        The token stream is cut into ``batch_size`` parallel streams read ``window``
        tokens at a time (:func:`~rnnviz.core.stream_windows`); each window is one
        step, and each stream's state is carried from one window to the next with no
        gradient across the cut. After the end of the text the streams start again
        from the zero state. Loss: mean nats per token. Each call starts a fresh
        optimizer state (default ``Adam(lr=3e-3)``); ``self.params`` is updated after
        every step (a callback may call ``self.sample`` or ``self.loss``) and holds the
        last finite parameters when training diverged.
        """
        ids = self._ids("data", data)
        batch_size = int(check_positive("batch_size", batch_size, integer=True))
        window = int(check_positive("window", window, integer=True))
        if ids.size - 1 < batch_size:
            raise ValueError(f"batch_size: the text has {ids.size} tokens, too few for {batch_size} parallel streams; "
                             "use a smaller batch_size or a longer text")
        optimizer = Adam(lr=3e-3) if optimizer is None else optimizer
        self.unigram = np.bincount(ids, minlength=self.vocab_size) / ids.size

        def epochs():
            while True:
                for i, (X, Y) in enumerate(stream_windows(ids, batch_size, window)):
                    yield Batch(X, Y, reset_state=i == 0)

        trainer = Trainer(self.net, self.params, optimizer, clip=clip, stateful=True)

        def sync(record):  # self.params follows the training, so callbacks can sample or evaluate
            self.params = trainer.params

        result = trainer.run(epochs(), steps, callbacks=[sync, *([callbacks] if callable(callbacks) else callbacks)])
        self.params = result.params
        self.history.extend(result.history)
        return result

    # ------------------------------------------------------------------ reading
    def _run(self, ids: np.ndarray, state=None):
        """Run over one token sequence in chunks (state carried): (scores of the last step (V,), state)."""
        y = None
        for start in range(0, ids.size, self.eval_chunk):
            fwd = self.net.forward(self.params, ids[None, start : start + self.eval_chunk], state0=state)
            state, y = fwd.final_state, fwd.Y[0, -1]
        return y, state

    def loss(self, text) -> float:
        """Mean loss per predicted token (nats): -mean_t log p(token t+1 | tokens 1..t), every token
        but the first predicted. Exact for any length (the text is run in pieces, state carried)."""
        ids = self._ids("text", text)
        total, state = 0.0, None
        inputs, targets = ids[:-1], ids[1:]
        for start in range(0, inputs.size, self.eval_chunk):
            sl = slice(start, start + self.eval_chunk)
            fwd = self.net.forward(self.params, inputs[None, sl], state0=state)
            total += softmax_nll(fwd.Y, targets[None, sl]).loss
            state = fwd.final_state
        return total / targets.size

    def perplexity(self, text) -> float:
        """exp(loss per token): 1 for a model that is always sure and right, V for uniform guessing."""
        return float(np.exp(self.loss(text)))

    def unigram_baseline(self, text, reference=None) -> float:
        """Loss per token of the best context-free model on ``text`` (its token entropy, in nats),
        on the same tokens that :meth:`loss` scores; with ``reference`` (a text or ids),
        the unigram is estimated there instead (add-one smoothing). A model whose loss is
        below this has learned to use what came before."""
        ids = self._ids("text", text)
        ref = None if reference is None else self._ids("reference", reference, min_len=1)
        return unigram_cross_entropy(ids[1:], self.vocab_size, ref)

    def _first_probs(self) -> np.ndarray:
        """Distribution of a first token (no context): the fitted text's unigram, or uniform before any fit."""
        if self.unigram is None:
            return np.full(self.vocab_size, 1.0 / self.vocab_size)
        return self.unigram.copy()

    def next_token_probs(self, prefix="") -> np.ndarray:
        """p(next token | prefix), (V,). An empty prefix has no context: the unigram of the fitted text."""
        if isinstance(prefix, str) and prefix == "":
            return self._first_probs()
        ids = self._ids("prefix", prefix, min_len=1)
        y, _ = self._run(ids)
        return np.exp(log_softmax(y))

    def sample(self, n: int, prefix="", *, temperature: float = 1.0, rng: np.random.Generator) -> str:
        """Generate ``n`` tokens after ``prefix`` and return them decoded (the prefix itself not included).

        Each token is drawn from p_t^(1/temperature) renormalized, i.e. softmax(y_t / temperature):
        temperature < 1 sharpens towards the likeliest token, > 1 flattens towards uniform.
        Without a prefix the first token comes from the fitted text's unigram.
        """
        n = int(check_positive("n", n, integer=True, allow_zero=True))
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.integer, np.floating)):
            raise TypeError(f"temperature: expected a number, got {type(temperature).__name__}")
        if not (np.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature: must be > 0 (1 samples the model as it is, smaller is greedier), got {temperature}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
        out: list[int] = []
        if n == 0:
            return self.vocab.decode(np.array(out, dtype=np.int64))

        def draw(logp: np.ndarray) -> int:
            z = logp / temperature
            p = np.exp(z - z.max())
            return int(rng.choice(self.vocab_size, p=p / p.sum()))

        if isinstance(prefix, str) and prefix == "":
            with np.errstate(divide="ignore"):
                out.append(draw(np.log(self._first_probs())))
            y, state = self._run(np.array(out))
        else:
            y, state = self._run(self._ids("prefix", prefix, min_len=1))
        while len(out) < n:
            out.append(draw(log_softmax(y)))
            if len(out) < n:
                fwd = self.net.forward(self.params, np.array([[out[-1]]]), state0=state)
                y, state = fwd.Y[0, -1], fwd.final_state
        return self.vocab.decode(np.array(out, dtype=np.int64))
