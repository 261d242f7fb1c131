r"""The training loop: batches in, optimizer steps out, with clipping, truncated BPTT and callbacks.

One step is the chapter's recipe: run the network forward, compute the loss and
its gradient by BPTT, optionally clip the gradient, and let the optimizer move the
parameters::

    trainer = Trainer(net, params, Adam(lr=1e-3), clip=("norm", 5.0))
    result = trainer.run(batches, steps=200, callbacks=[print_progress(every=50)])
    result.params, result.losses, result.stopped_reason

or in one call, ``train(net, params, Adam(lr=1e-3), batches, steps=200)``.

* **batches** is an iterable (a list, a generator) of batches, or a callable taking
  no argument that returns the next batch. A batch is ``(X, targets)``,
  ``(X, targets, target_mask)``, ``(X, targets, target_mask, input_mask)`` or a
  :class:`Batch`. The loop draws no random numbers itself: a random batch source
  brings its own generator (:func:`shuffled_batches`), so a run is reproducible.
* **window** (truncated BPTT): each batch (N, T) is cut into windows of ``window``
  time-stamps; the optimizer steps after each window, and the state reached at the
  end of a window is where the next window starts, with no gradient flowing back
  across the cut. Each window is what :func:`~rnnviz.core.truncated_bptt` yields,
  except that the parameters move in between.
* **stateful**: the final state of one batch is the initial state of the next (for
  a long stream cut by :func:`~rnnviz.core.stream_windows`), until a batch says
  ``reset_state=True`` or its batch size changes.
* **callbacks** are called after every step with a :class:`StepRecord`. One that
  returns something true stops the training (a string is used as the reason).
  ``trainer.params`` already holds the updated parameters when callbacks run, so a
  callback that closes over the trainer can evaluate the model.
* **divergence**: when the loss, a gradient or a parameter becomes inf or NaN,
  training stops without raising (and without NumPy warnings), keeps the last
  finite parameters and the history so far, and says in ``stopped_reason`` what
  happened and what to try.

Any model with ``forward(params, X, input_mask=...)`` returning an object with
``.Y`` and ``.cache`` (and ``.final_state`` when stateful) and
``backward(params, dY, cache)`` returning an object with ``.grads`` can be
trained: :class:`~rnnviz.core.Network` and the bag-of-words models of
:mod:`rnnviz.core.bow` are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .checks import as_mask, check_choice, check_positive
from .clipping import ClipReport, clip_by_norm, clip_by_value, global_norm
from .losses import softmax_nll, squared_error
from .network import Network
from .optim import Optimizer

__all__ = [
    "Batch",
    "StepRecord",
    "TrainResult",
    "Trainer",
    "classification_batch",
    "classification_batches",
    "evaluate_accuracy",
    "last_present_index",
    "print_progress",
    "sequence_scores",
    "shuffled_batches",
    "stop_when",
    "train",
]

LOSS_FUNCTIONS = {"softmax_nll": softmax_nll, "squared_error": squared_error}


# =========================================================================== records
class Batch(NamedTuple):
    """One batch of training data.

    X: (N, T) token ids or (N, T, D) inputs. targets: (N, T) ids or (N, T, K) values
    (or (N,) / (N, K) with one output per sequence). target_mask: False where a
    target is absent. input_mask: False where an input is absent (padding).
    reset_state: in stateful training, start this batch from the zero state.
    """

    X: np.ndarray
    targets: np.ndarray
    target_mask: np.ndarray | None = None
    input_mask: np.ndarray | None = None
    reset_state: bool = False


class StepRecord(NamedTuple):
    step: int  # optimizer steps taken so far, counting this one (1, 2, ...)
    loss: float  # loss of this step's batch or window ("mean": per present target)
    grad_norm: float  # global norm ||g|| of the gradient before clipping
    clip: ClipReport | None  # what clipping did, None without clipping
    elapsed: float  # seconds of training so far
    count: int  # number of targets present in this batch or window


class TrainResult(NamedTuple):
    params: dict  # the last parameters whose loss and gradients were finite
    opt_state: dict  # the optimizer's state, to continue training
    history: list  # StepRecord of every completed step
    stopped_reason: str  # in words: finished, stopped by a callback, ran out of data, or diverged (and why)
    status: str  # "finished", "stopped", "exhausted" or "diverged"
    state: dict | None  # carried recurrent state (stateful training / truncated BPTT), else None

    @property
    def losses(self) -> np.ndarray:
        """Loss of every step, (steps,)."""
        return np.array([r.loss for r in self.history], dtype=float)

    @property
    def grad_norms(self) -> np.ndarray:
        return np.array([r.grad_norm for r in self.history], dtype=float)

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


# =========================================================================== batches
def as_batch(item: object) -> Batch:
    """A :class:`Batch` from a tuple ``(X, targets[, target_mask[, input_mask]])``, a dict or a Batch."""
    if isinstance(item, Batch):
        return item
    if isinstance(item, Mapping):
        unknown = set(item) - set(Batch._fields)
        if unknown or not {"X", "targets"} <= set(item):
            raise ValueError(f"batch: a dict batch needs keys 'X' and 'targets' (optional {', '.join(Batch._fields[2:])}), "
                             f"got {', '.join(map(repr, item))}")
        return Batch(**item)
    if isinstance(item, Iterator):
        raise TypeError("batch: got an iterator instead of a batch; if your batch source is a generator function, "
                        "pass the generator (make_batches()) rather than the function")
    if isinstance(item, (tuple, list)) and 2 <= len(item) <= 4:
        return Batch(*item)
    raise TypeError(f"batch: expected (X, targets), (X, targets, target_mask), (X, targets, target_mask, input_mask) "
                    f"or a Batch, got {type(item).__name__}" + (f" of length {len(item)}" if isinstance(item, (tuple, list)) else ""))


def _batch_source(batches) -> Callable[[], object]:
    """A function returning the next batch, raising StopIteration at the end."""
    if isinstance(batches, Batch) or (
        isinstance(batches, tuple) and len(batches) in (2, 3, 4) and isinstance(batches[0], np.ndarray)
    ):
        batch = as_batch(batches)  # one fixed batch: train on it every step
        return lambda: batch
    if isinstance(batches, Iterable):
        it = iter(batches)
        return lambda: next(it)
    if callable(batches):
        return batches
    raise TypeError(f"batches: expected an iterable of batches, a function returning a batch, or one (X, targets) "
                    f"tuple, got {type(batches).__name__}")


def _windows(batch: Batch, window: int | None) -> list[Batch]:
    """Cut a batch into windows of ``window`` time-stamps (truncated BPTT)."""
    if window is None:
        return [batch]
    X = np.asarray(batch.X)
    tg = np.asarray(batch.targets)
    if X.ndim < 2 or tg.ndim < 2 or tg.shape[:2] != X.shape[:2]:
        raise ValueError(f"window: truncated BPTT needs a target per time-stamp, targets of shape (N, T, ...) like "
                         f"X's {X.shape[:2]}; got targets of shape {tg.shape}")
    T = X.shape[1]
    out = []
    for start in range(0, T, window):
        sl = slice(start, start + window)
        out.append(Batch(
            X[:, sl], tg[:, sl],
            None if batch.target_mask is None else np.asarray(batch.target_mask)[:, sl],
            None if batch.input_mask is None else np.asarray(batch.input_mask)[:, sl],
            batch.reset_state and start == 0,
        ))
    return out


# =========================================================================== the loop
def _parse_clip(clip) -> tuple[str, float] | None:
    if clip is None:
        return None
    if not (isinstance(clip, (tuple, list)) and len(clip) == 2):
        raise ValueError(f"clip: expected None, ('norm', max_norm) or ('value', threshold), got {clip!r}")
    kind = check_choice("clip[0]", clip[0], ("norm", "value"))
    return kind, check_positive("clip[1]", clip[1])


def _all_finite(arrays) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


def _state_ok(state, N) -> bool:
    return all(s.shape[0] == N and np.all(np.isfinite(s)) for tup in state.values() for s in tup)


def _bad(value) -> str:
    return "NaN" if np.isnan(value) else "inf"


class Trainer:
    """Holds what changes during training: parameters, optimizer state, carried state, history.

    ``run`` may be called again to continue from where the last call stopped (a live
    widget's "train 10 more steps" button). Parameters are replaced, never modified
    in place: ``trainer.params`` is a new dict after every step.

    model: a :class:`~rnnviz.core.Network` or any model with ``forward``/``backward`` (see the module doc).
    loss: ``"softmax_nll"`` or ``"squared_error"``; reduction: ``"mean"`` (per present target,
    so the learning rate does not depend on N and T) or ``"sum"`` (the chapter's L).
    clip: None, ``("norm", max_norm)`` or ``("value", threshold)``.
    window: truncated-BPTT window length, or None for full BPTT over each batch.
    stateful: carry the final state of a batch into the next.
    outputs: ``"all"`` (y_t at every t) or ``"last"`` (one output per sequence), passed to ``Network.forward``.
    """

    def __init__(
        self, model, params: Mapping[str, np.ndarray], optimizer: Optimizer, *, loss: str = "softmax_nll",
        reduction: str = "mean", clip: tuple | None = None, window: int | None = None, stateful: bool = False,
        outputs: str = "all", opt_state: dict | None = None,
    ):
        if not (hasattr(model, "forward") and hasattr(model, "backward")):
            raise TypeError(f"model: expected a Network (or a model with forward and backward), got {type(model).__name__}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected an optimizer such as Adam(lr=1e-3), got {type(optimizer).__name__}")
        if hasattr(model, "check_params"):
            model.check_params(params)
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = LOSS_FUNCTIONS[check_choice("loss", loss, tuple(LOSS_FUNCTIONS))]
        self.reduction = check_choice("reduction", reduction, ("mean", "sum"))
        self.clip = _parse_clip(clip)
        self.window = None if window is None else int(check_positive("window", window, integer=True))
        if not isinstance(stateful, (bool, np.bool_)):
            raise TypeError(f"stateful: expected True or False, got {stateful!r}")
        self.stateful = bool(stateful)
        if (self.window is not None or self.stateful) and getattr(model, "bidirectional", False):
            raise ValueError("window/stateful: carrying the state forward in time needs a unidirectional network "
                             "(a bidirectional one also reads the sequence backwards)")
        self.outputs = check_choice("outputs", outputs, ("all", "last"))
        if self.outputs == "last" and self.window is not None:
            raise ValueError("window: truncated BPTT needs outputs='all' (a target per time-stamp)")
        self.params: dict = dict(params)
        self.opt_state = optimizer.init(self.params) if opt_state is None else opt_state
        self.history: list[StepRecord] = []
        self.state: dict | None = None
        self.step_count = 0
        self.status: str | None = None
        self.stopped_reason: str | None = None
        self._pending: list[Batch] = []
        self._elapsed = 0.0

    # ------------------------------------------------------------------ public
    def run(self, batches, steps: int, *, callbacks: Sequence[Callable[[StepRecord], Any]] = ()) -> TrainResult:
        """Take up to ``steps`` optimizer steps on batches from ``batches``; returns a :class:`TrainResult`."""
        steps = int(check_positive("steps", steps, integer=True))
        callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
        for i, cb in enumerate(callbacks):
            if not callable(cb):
                raise TypeError(f"callbacks[{i}]: expected a function taking a StepRecord, got {type(cb).__name__}")
        if self.status == "diverged":
            return self._result()
        source = _batch_source(batches)
        self.status, self.stopped_reason = "finished", f"finished: took the {steps} requested steps"
        start = time.perf_counter()
        done = 0
        while done < steps:
            if not self._pending:
                try:
                    item = source()
                except StopIteration:
                    self.status = "exhausted"
                    self.stopped_reason = f"the batches ran out after {done} of {steps} steps"
                    break
                self._pending = _windows(as_batch(item), self.window)
                if not self.stateful:  # windows of one batch carry the state; a new batch starts afresh
                    self._pending[0] = self._pending[0]._replace(reset_state=True)
            batch = self._pending.pop(0)
            outcome = self._step(batch, start)
            if isinstance(outcome, str):  # diverged: stop, keep what was good
                self._pending = []
                self.status, self.stopped_reason = "diverged", outcome
                break
            done += 1
            self.history.append(outcome)
            stop = None
            for cb in callbacks:
                answer = cb(outcome)
                if answer:
                    name = getattr(cb, "__name__", type(cb).__name__)
                    stop = answer if isinstance(answer, str) else f"stopped by the callback {name} after step {outcome.step}"
                    break
            if stop is not None:
                self.status, self.stopped_reason = "stopped", stop
                break
        self._elapsed += time.perf_counter() - start
        return self._result()

    def _result(self) -> TrainResult:
        return TrainResult(self.params, self.opt_state, list(self.history), self.stopped_reason or "not started",
                           self.status or "finished", self.state)

    # ------------------------------------------------------------------ one step
    def _step(self, batch: Batch, start: float) -> StepRecord | str:
        k = self.step_count + 1
        lr = self.optimizer.lr
        advice = f"try gradient clipping (clip=('norm', 5.0)) or a smaller learning rate (now {lr:g})"
        if self.clip is not None:
            advice = f"try a smaller learning rate (now {lr:g}) or a tighter clipping threshold (now {self.clip[1]:g})"
        X = batch.X
        N = np.shape(X)[0]
        kwargs = {} if batch.input_mask is None else {"input_mask": batch.input_mask}
        if self.outputs != "all":
            kwargs["outputs"] = self.outputs
        carry = self.stateful or self.window is not None
        if carry and self.state is not None and not batch.reset_state and _state_ok(self.state, N):
            kwargs["state0"] = self.state
        with np.errstate(all="ignore"):
            fwd = self.model.forward(self.params, X, **kwargs)
            if not np.all(np.isfinite(fwd.Y)):
                bad = "NaN" if np.isnan(fwd.Y).any() else "inf"
                return (f"the loss became {bad} at step {k}: the network's outputs overflowed because the weights or "
                        f"hidden states grew too large (the gradients exploded); {advice}")
            res = self.loss_fn(fwd.Y, batch.targets, batch.target_mask, reduction=self.reduction)
            if not np.isfinite(res.loss):
                return (f"the loss became {_bad(res.loss)} at step {k}: the gradients exploded and the weights grew "
                        f"too large; {advice}")
            grads = self.model.backward(self.params, res.dY, fwd.cache).grads
            norm = global_norm(grads)
            if not np.isfinite(norm) or not _all_finite(grads.values()):
                return (f"the gradient became {_bad(norm) if not np.isfinite(norm) else 'NaN'} at step {k} although "
                        f"the loss was finite ({res.loss:.4g}): the gradients exploded through time; {advice}")
            report = None
            if self.clip is not None:
                kind, threshold = self.clip
                grads, report = (clip_by_norm if kind == "norm" else clip_by_value)(grads, threshold)
            new_params, new_opt_state = self.optimizer.step(self.params, grads, self.opt_state)
            if not _all_finite(new_params.values()):
                return (f"the parameters became inf or NaN in the update of step {k} (gradient norm {norm:.3g}): the "
                        f"step was far too large; {advice}")
            new_state = getattr(fwd, "final_state", None) if carry else None
            if new_state is not None and not _state_ok(new_state, N):
                return (f"the hidden state became inf or NaN at step {k}: the recurrence blew up; {advice}")
        self.params, self.opt_state, self.state = new_params, new_opt_state, new_state
        self.step_count = k
        elapsed = self._elapsed + time.perf_counter() - start
        return StepRecord(k, float(res.loss), norm, report, elapsed, int(res.count))


def train(
    model, params: Mapping[str, np.ndarray], optimizer: Optimizer, batches, steps: int, *,
    callbacks: Sequence[Callable[[StepRecord], Any]] = (), **options,
) -> TrainResult:
    """Train for up to ``steps`` optimizer steps: ``Trainer(model, params, optimizer, **options).run(batches, steps)``.

    options: ``loss``, ``reduction``, ``clip``, ``window``, ``stateful``, ``outputs`` (see :class:`Trainer`).
    """
    return Trainer(model, params, optimizer, **options).run(batches, steps, callbacks=callbacks)


# =========================================================================== ready-made callbacks
def print_progress(every: int = 100, *, file=None) -> Callable[[StepRecord], None]:
    """A callback printing ``step 100  loss 2.3127  |g| 4.21  (1.3 s)`` every ``every`` steps."""
    every = int(check_positive("every", every, integer=True))

    def print_progress(record: StepRecord) -> None:
        if record.step % every == 0:
            clipped = " clipped" if record.clip is not None and record.clip.clipped else ""
            print(f"step {record.step:>6}  loss {record.loss:.4f}  |g| {record.grad_norm:.3g}{clipped}  "
                  f"({record.elapsed:.1f} s)", file=file)

    return print_progress


def stop_when(*, loss_below: float | None = None, seconds: float | None = None, average: int = 1) -> Callable:
    """A callback stopping when the loss (averaged over the last ``average`` steps) is below a
    target, or after ``seconds`` of training."""
    if loss_below is None and seconds is None:
        raise ValueError("stop_when: give loss_below, seconds or both")
    if seconds is not None:
        seconds = check_positive("seconds", seconds)
    average = int(check_positive("average", average, integer=True))
    recent: list[float] = []

    def stop_when(record: StepRecord) -> str | None:
        recent.append(record.loss)
        del recent[:-average]
        if loss_below is not None and len(recent) == average and np.mean(recent) < loss_below:
            return f"reached the target: loss {np.mean(recent):.4f} < {loss_below:g} at step {record.step}"
        if seconds is not None and record.elapsed >= seconds:
            return f"time limit: {seconds:g} s reached at step {record.step}"
        return None

    return stop_when


# =========================================================================== sequence classification
def shuffled_batches(n: int, batch_size: int, rng: np.random.Generator, *, epochs: int | None = None) -> Iterator[np.ndarray]:
    """Index arrays of ``batch_size`` examples, a new random order each epoch (forever when epochs is None).

    The last, smaller batch of an epoch is dropped, so every batch has the same size.
    """
    n = int(check_positive("n", n, integer=True))
    batch_size = int(check_positive("batch_size", batch_size, integer=True))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    batch_size = min(batch_size, n)
    epoch = 0
    while epochs is None or epoch < epochs:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]
        epoch += 1


def last_present_index(mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Index of each sequence's last present time-stamp, (N,); T - 1 everywhere without a mask."""
    N, T = shape
    if mask is None:
        return np.full(N, T - 1, dtype=np.int64)
    mask = as_mask("mask", mask, (N, T))
    empty = ~mask.any(axis=1)
    if empty.any():
        raise ValueError(f"mask: sequence {int(np.flatnonzero(empty)[0])} has no present token; every sequence needs at least one")
    return (T - 1 - np.argmax(mask[:, ::-1], axis=1)).astype(np.int64)


def _check_sequence_network(model) -> None:
    if isinstance(model, Network) and model.bidirectional:
        raise ValueError("model: sequence classification reads each sequence at its last present token; a "
                         "bidirectional Network's backward direction would start in the padding (Network has "
                         "no per-sequence lengths), so use a unidirectional network")


def classification_batch(model, X, labels, mask=None) -> Batch:
    """A :class:`Batch` for sequence classification from token ids (N, T), labels (N,) and a mask (N, T).

    For a :class:`~rnnviz.core.Network` the label becomes the target at each
    sequence's **last present time-stamp** and every other target is absent, so
    the class is read from the state h at the true end of the sequence; padding at
    the end (mask False) is never read. Other models (bag of words) get the labels as they are.
    """
    labels = np.asarray(labels)
    shape = np.shape(X)[:2]
    if labels.shape != shape[:1]:
        raise ValueError(f"labels: expected shape ({shape[0]},), one label per sequence, got {labels.shape}")
    if not isinstance(model, Network):
        return Batch(X, labels, None, mask)
    _check_sequence_network(model)
    last = last_present_index(mask, shape)
    N, T = shape
    targets = np.zeros((N, T), dtype=labels.dtype if labels.dtype.kind in "iu" else np.int64)
    target_mask = np.zeros((N, T), dtype=bool)
    targets[np.arange(N), last] = labels
    target_mask[np.arange(N), last] = True
    return Batch(X, targets, target_mask, mask)


def classification_batches(model, X, labels, mask, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
    """Shuffled minibatches for sequence classification, forever (see :func:`classification_batch`)."""
    X = np.asarray(X)
    labels = np.asarray(labels)
    mask = None if mask is None else np.asarray(mask)
    for idx in shuffled_batches(len(X), batch_size, rng):
        yield classification_batch(model, X[idx], labels[idx], None if mask is None else mask[idx])


def sequence_scores(model, params, X, mask=None, *, batch_size: int = 1024) -> np.ndarray:
    """Class scores (N, K) of each sequence: for a Network, y at its last present time-stamp."""
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"X: expected (N, T) token ids or (N, T, D) inputs, got shape {X.shape}")
    _check_sequence_network(model)
    out = []
    for start in range(0, len(X), batch_size):
        sl = slice(start, start + batch_size)
        m = None if mask is None else np.asarray(mask)[sl]
        kwargs = {} if m is None else {"input_mask": m}
        Y = model.forward(params, X[sl], **kwargs).Y
        if isinstance(model, Network):
            last = last_present_index(m, X[sl].shape[:2])
            Y = Y[np.arange(len(last)), last]  # (n, K)
        out.append(Y)
    return np.concatenate(out, axis=0)


def evaluate_accuracy(model, params, X, labels, mask=None) -> float:
    """Share of sequences whose highest-scoring class is the label (see :func:`sequence_scores`)."""
    scores = sequence_scores(model, params, X, mask)
    labels = np.asarray(labels)
    if labels.shape != scores.shape[:1]:
        raise ValueError(f"labels: expected shape ({scores.shape[0]},), one label per sequence, got {labels.shape}")
    return float(np.mean(scores.argmax(axis=-1) == labels))
