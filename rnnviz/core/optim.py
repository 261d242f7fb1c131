r"""Optimizers over parameter dicts: SGD with momentum, Adagrad, RMSProp and Adam.

Each optimizer is a small object holding its hyperparameters and nothing else;
everything that changes during training lives in a *state* that you pass in and
get back, so a step is a pure function::

    opt = Adam(lr=1e-3)
    state = opt.init(params)                          # zeros, t = 0
    params, state = opt.step(params, grads, state)    # NEW arrays; the old ones are untouched

``grads`` has exactly the keys of ``params`` (as every ``evaluate`` returns them).
The state is a plain dict: ``state["t"]`` counts the steps taken and each running
quantity is a dict with the keys of ``params`` (``state["V"]["W_hh"]``), so a
view can plot it. The updates, written per parameter W with gradient g = dL/dW
and learning rate alpha (Aggarwal, Section 3.5):

* **SGD**: W <- W - alpha g.
* **momentum**: V <- beta V - alpha g;  W <- W + V  (V is the velocity).
  **Nesterov**: the gradient is meant to be taken at the look-ahead point W + beta V;
  with the parameters stored at that point the update becomes
  W <- W + beta V_new - alpha g (the usual reformulation, Sutskever et al., 2013).
* **Adagrad**: A <- A + g**2;  W <- W - alpha g / (sqrt(A) + eps).
* **RMSProp**: A <- rho A + (1 - rho) g**2;  W <- W - alpha g / (sqrt(A) + eps).
* **Adam**: F <- rho_f F + (1 - rho_f) g;  A <- rho A + (1 - rho) g**2, then with the
  bias corrections F_hat = F / (1 - rho_f**t), A_hat = A / (1 - rho**t):
  W <- W - alpha F_hat / (sqrt(A_hat) + eps). The chapter's rho_f and rho are the
  ``beta1`` and ``beta2`` of the Adam paper; the code uses the paper's names.

eps is added to sqrt(A) (not inside the root), as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .checks import check_positive

__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "Adam", "Optimizer", "RMSProp", "make_optimizer"]


def _check_unit(name: str, value: object, *, allow_zero: bool = True) -> float:
    """A decay rate in [0, 1) (or (0, 1))."""
    value = check_positive(name, value, allow_zero=True)
    if value >= 1.0 or (value == 0.0 and not allow_zero):
        low = "0 <=" if allow_zero else "0 <"
        raise ValueError(f"{name}: must satisfy {low} {name} < 1, got {value}")
    return value


def _check_dict(name: str, value: object) -> Mapping[str, np.ndarray]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a dict of arrays (parameter name -> array), got {type(value).__name__}")
    for key, arr in value.items():
        if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
            raise TypeError(f"{name}[{key!r}]: expected a float array, got {type(arr).__name__}"
                            + (f" of dtype {arr.dtype}" if isinstance(arr, np.ndarray) else ""))
    return value


class Optimizer:
    """Shared machinery: ``init`` and ``step`` walk the parameter dict and call :meth:`update`.

    A subclass names its running quantities in ``slots`` (``("V",)``, ``("A",)``,
    ``("F", "A")``) and implements ``update(W, g, slots, t) -> (W_new, slots_new)``
    for one array, in a few lines of the formula.
    """

    slots: tuple[str, ...] = ()

    def __init__(self, lr: float):
        self.lr = check_positive("lr", lr)

    # ------------------------------------------------------------------ the functional API
    def init(self, params: Mapping[str, np.ndarray]) -> dict:
        """The state before the first step: t = 0 and every running quantity at zero."""
        _check_dict("params", params)
        state: dict = {"t": 0}
        for slot in self.slots:
            state[slot] = {k: np.zeros_like(v) for k, v in params.items()}
        return state

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], state: Mapping) -> tuple[dict, dict]:
        """One update: returns ``(new_params, new_state)``; the inputs are not modified."""
        _check_dict("params", params)
        _check_dict("grads", grads)
        missing = [k for k in params if k not in grads]
        extra = [k for k in grads if k not in params]
        if missing or extra:
            parts = (["no gradient for " + ", ".join(missing)] if missing else []) + (
                ["gradients for unknown parameters " + ", ".join(extra)] if extra else [])
            raise ValueError(f"grads: keys do not match params ({'; '.join(parts)})")
        for key, W in params.items():
            if grads[key].shape != W.shape:
                raise ValueError(f"grads[{key!r}]: expected shape {W.shape} like params[{key!r}], got {grads[key].shape}")
        self._check_state(state, params)
        t = state["t"] + 1
        new_params: dict[str, np.ndarray] = {}
        new_state: dict = {"t": t, **{slot: {} for slot in self.slots}}
        for key, W in params.items():
            W_new, slots = self.update(W, grads[key], {s: state[s][key] for s in self.slots}, t)
            new_params[key] = W_new
            for slot in self.slots:
                new_state[slot][key] = slots[slot]
        return new_params, new_state

    def update(self, W: np.ndarray, g: np.ndarray, slots: dict, t: int) -> tuple[np.ndarray, dict]:  # pragma: no cover
        raise NotImplementedError

    def _check_state(self, state, params) -> None:
        name = type(self).__name__
        if not isinstance(state, Mapping) or "t" not in state:
            raise TypeError(f"state: expected the dict of {name}.init(params), got {type(state).__name__}")
        for slot in self.slots:
            if slot not in state or not isinstance(state[slot], Mapping):
                raise ValueError(f"state: has no {slot!r}; was it made by {name}.init(params)?")
            missing = [k for k in params if k not in state[slot]]
            if missing:
                raise ValueError(f"state[{slot!r}]: no entry for {', '.join(missing)}; call {name}.init(params) for these params")
            for key, W in params.items():
                if state[slot][key].shape != W.shape:
                    raise ValueError(f"state[{slot!r}][{key!r}]: shape {state[slot][key].shape} differs from the parameter's {W.shape}")

    def _hyper(self) -> dict:
        return {"lr": self.lr}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v!r}" for k, v in self._hyper().items()) + ")"


class SGD(Optimizer):
    """Gradient descent, with optional momentum (velocity V) and Nesterov's look-ahead.

    ``SGD(lr)``: W <- W - lr g.  ``SGD(lr, momentum=beta)``: V <- beta V - lr g; W <- W + V.
    ``nesterov=True``: W <- W + beta V_new - lr g (needs momentum > 0).
    """

    def __init__(self, lr: float, momentum: float = 0.0, *, nesterov: bool = False):
        super().__init__(lr)
        self.momentum = _check_unit("momentum", momentum)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov: expected True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov: Nesterov momentum needs momentum > 0 (e.g. momentum=0.9)")
        self.nesterov = bool(nesterov)
        self.slots = ("V",) if self.momentum > 0 else ()

    def update(self, W, g, slots, t):
        if self.momentum == 0.0:
            return W - self.lr * g, {}
        V = self.momentum * slots["V"] - self.lr * g  # V <- beta V - alpha dL/dW
        if self.nesterov:
            return W + self.momentum * V - self.lr * g, {"V": V}
        return W + V, {"V": V}

    def _hyper(self):
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Per-parameter step sizes that shrink with the sum A of all squared gradients so far."""

    slots = ("A",)

    def __init__(self, lr: float = 0.01, *, eps: float = 1e-8):
        super().__init__(lr)
        self.eps = check_positive("eps", eps)

    def update(self, W, g, slots, t):
        A = slots["A"] + g * g  # A <- A + g^2
        return W - self.lr * g / (np.sqrt(A) + self.eps), {"A": A}

    def _hyper(self):
        return {"lr": self.lr, "eps": self.eps}


class RMSProp(Optimizer):
    """Adagrad with a forgetting average: A <- rho A + (1 - rho) g^2."""

    slots = ("A",)

    def __init__(self, lr: float = 0.001, rho: float = 0.9, *, eps: float = 1e-8):
        super().__init__(lr)
        self.rho = _check_unit("rho", rho)
        self.eps = check_positive("eps", eps)

    def update(self, W, g, slots, t):
        A = self.rho * slots["A"] + (1.0 - self.rho) * g * g
        return W - self.lr * g / (np.sqrt(A) + self.eps), {"A": A}

    def _hyper(self):
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps}


class Adam(Optimizer):
    """RMSProp on a running mean F of the gradients, both bias-corrected for their zero start.

    beta1 is the chapter's rho_f (decay of F), beta2 its rho (decay of A).
    """

    slots = ("F", "A")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, *, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1 = _check_unit("beta1", beta1)
        self.beta2 = _check_unit("beta2", beta2)
        self.eps = check_positive("eps", eps)

    def update(self, W, g, slots, t):
        F = self.beta1 * slots["F"] + (1.0 - self.beta1) * g  # first moment
        A = self.beta2 * slots["A"] + (1.0 - self.beta2) * g * g  # second moment
        F_hat = F / (1.0 - self.beta1**t)  # without this the first steps would be ~10x too small
        A_hat = A / (1.0 - self.beta2**t)
        return W - self.lr * F_hat / (np.sqrt(A_hat) + self.eps), {"F": F, "A": A}

    def _hyper(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(name: str | Optimizer, **hyper) -> Optimizer:
    """``make_optimizer("adam", lr=1e-3)``; ``"momentum"`` and ``"nesterov"`` are SGD with momentum=0.9 by default."""
    if isinstance(name, Optimizer):
        if hyper:
            raise ValueError("make_optimizer: hyperparameters given together with an optimizer object")
        return name
    if name == "momentum":
        return SGD(**{"momentum": 0.9, **hyper})
    if name == "nesterov":
        return SGD(**{"momentum": 0.9, "nesterov": True, **hyper})
    if not isinstance(name, str) or name not in OPTIMIZERS:
        choices = ", ".join(map(repr, [*OPTIMIZERS, "momentum", "nesterov"]))
        raise ValueError(f"name: unknown optimizer {name!r}; expected one of {choices}")
    return OPTIMIZERS[name](**hyper)
