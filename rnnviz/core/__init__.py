"""The NumPy core of rnnviz: cells, BPTT, networks, losses, clipping and gradient checks."""

from .bow import (
    BagOfWordsLogistic,
    BagOfWordsMLP,
    SequenceClassifier,
    bag_of_words,
    bow_classifier,
    rnn_classifier,
)
from .cells import (
    CELLS,
    GRU_GATES,
    LSTM_GATES,
    Cell,
    GRUCell,
    LayerNormRNNCell,
    LSTMCell,
    VanillaRNNCell,
    make_cell,
    sigmoid,
)
from .clipping import ClipReport, clip_by_norm, clip_by_value, clip_copies_by_value, global_norm
from .diagnostics import ChainResult, PascanuBounds, gradient_flow, pascanu_bounds, scalar_chain, spectral_radius, with_spectral_radius
from .esn import EchoStateNetwork, Forgetting, FreeRun, ReadoutFit, nrmse, sparse_reservoir
from .gradcheck import GradCheck, check_gradients, directional_check, numerical_gradient, relative_error
from .lm import LanguageModel, unigram_cross_entropy
from .losses import LossResult, log_softmax, softmax, softmax_nll, squared_error
from .optim import OPTIMIZERS, SGD, Adagrad, Adam, Optimizer, RMSProp, make_optimizer
from .train import (
    Batch,
    StepRecord,
    TrainResult,
    Trainer,
    classification_batch,
    classification_batches,
    evaluate_accuracy,
    last_present_index,
    print_progress,
    sequence_scores,
    shuffled_batches,
    stop_when,
)  # the function train stays in rnnviz.core.train, so that name keeps meaning the module
from .torch_weights import from_torch_state_dict, to_torch_state_dict
from .network import (
    Backward,
    Evaluation,
    Forward,
    Network,
    Window,
    split_output_weights,
    stacked_weights,
    stream_windows,
    tbptt_gradient,
    truncated_bptt,
    unroll,
    unroll_backward,
)

__all__ = [name for name in dir() if not name.startswith("_")]
