"""Losses as layers: each holds its options and calls the function of the same name in
nn.functional. Class weights and pos_weight are buffers, as in PyTorch (they move with .to())."""
from .. import functional as F
from ..module import Module


class _Loss(Module):
    fn = None
    options = ()  # the functional's keyword arguments that the layer holds
    reductions = F._REDUCTIONS

    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(type(self).__name__, reduction, self.reductions)
        self.reduction = reduction

    def forward(self, input, target):
        return type(self).fn(input, target, reduction=self.reduction,
                             **{name: getattr(self, name) for name in self.options})


class MSELoss(_Loss):
    """Mean squared error (input - target)^2."""
    fn = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error |input - target|."""
    fn = staticmethod(F.l1_loss)


class HuberLoss(_Loss):
    """Squared error below delta, linear above (robust to outliers)."""
    fn = staticmethod(F.huber_loss)
    options = ("delta",)

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta


class SmoothL1Loss(_Loss):
    """Huber loss divided by beta: 0.5 d^2 / beta below beta, d - 0.5 beta above."""
    fn = staticmethod(F.smooth_l1_loss)
    options = ("beta",)

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C, ...) at class indices (N, ...)."""
    fn = staticmethod(F.nll_loss)
    options = ("weight", "ignore_index")

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C, ...) against class indices (N, ...) or class
    probabilities; class weights give a weighted mean, ignore_index skips targets, and
    label_smoothing mixes the target with the uniform distribution."""
    fn = staticmethod(F.cross_entropy)
    options = ("weight", "ignore_index", "label_smoothing")

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1]."""
    fn = staticmethod(F.binary_cross_entropy)
    options = ("weight",)

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits; pos_weight
    weighs the positive examples of each class."""
    fn = staticmethod(F.binary_cross_entropy_with_logits)
    options = ("weight", "pos_weight")

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)


class KLDivLoss(_Loss):
    """KL divergence sum target (log target - input) for log-probabilities input;
    reduction='batchmean' gives the true KL divergence per sample."""
    fn = staticmethod(F.kl_div)
    options = ("log_target",)
    reductions = F._REDUCTIONS + ("batchmean",)

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = log_target
