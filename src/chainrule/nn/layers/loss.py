"""Losses as layers: each holds its options and calls the function of the same name in
nn.functional. Class weights and pos_weight are buffers, as in PyTorch (they move with .to()).
The arguments keep PyTorch's order, including its older size_average / reduce flags."""
from .. import functional as F
from ..module import Module


class _Loss(Module):
    fn = None
    options = ()  # the functional's keyword arguments that the layer holds
    reductions = F._REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = F.legacy_reduction(type(self).__name__, size_average, reduce,
                                            reduction, self.reductions)

    def forward(self, *inputs):
        return type(self).fn(*inputs, reduction=self.reduction,
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
        super().__init__(reduction=reduction)
        self.delta = delta


class SmoothL1Loss(_Loss):
    """Huber loss divided by beta: 0.5 d^2 / beta below beta, d - 0.5 beta above."""
    fn = staticmethod(F.smooth_l1_loss)
    options = ("beta",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C, ...) at class indices (N, ...)."""
    fn = staticmethod(F.nll_loss)
    options = ("weight", "ignore_index")

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C, ...) against class indices (N, ...) or class
    probabilities; class weights give a weighted mean, ignore_index skips targets, and
    label_smoothing mixes the target with the uniform distribution."""
    fn = staticmethod(F.cross_entropy)
    options = ("weight", "ignore_index", "label_smoothing")

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1]."""
    fn = staticmethod(F.binary_cross_entropy)
    options = ("weight",)

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits; pos_weight
    weighs the positive examples of each class."""
    fn = staticmethod(F.binary_cross_entropy_with_logits)
    options = ("weight", "pos_weight")

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)


class KLDivLoss(_Loss):
    """KL divergence sum target (log target - input) for log-probabilities input;
    reduction='batchmean' gives the true KL divergence per sample."""
    fn = staticmethod(F.kl_div)
    options = ("log_target",)
    reductions = F._REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of counts under a Poisson rate (given as its log by default)."""
    fn = staticmethod(F.poisson_nll_loss)
    options = ("log_input", "full", "eps")

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of targets under Normal(input, var); called as
    loss(input, target, var)."""
    fn = staticmethod(F.gaussian_nll_loss)
    options = ("full", "eps")

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps


class CTCLoss(_Loss):
    """Connectionist temporal classification; called as
    loss(log_probs, targets, input_lengths, target_lengths)."""
    fn = staticmethod(F.ctc_loss)
    options = ("blank", "zero_infinity")

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity


class _MarginLoss(_Loss):
    options = ("margin",)

    def __init__(self, margin, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class MarginRankingLoss(_MarginLoss):
    """max(0, margin - y (x1 - x2)); called as loss(input1, input2, target)."""
    fn = staticmethod(F.margin_ranking_loss)

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x where y = 1, max(0, margin - x) where y = -1."""
    fn = staticmethod(F.hinge_embedding_loss)

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1; called as
    loss(input1, input2, target)."""
    fn = staticmethod(F.cosine_embedding_loss)

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)


class TripletMarginLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)); called as loss(anchor, positive, negative)."""
    fn = staticmethod(F.triplet_margin_loss)
    options = ("margin", "p", "eps", "swap")

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss of scores (N, C) at class indices (N,)."""
    fn = staticmethod(F.multi_margin_loss)
    options = ("p", "margin", "weight")

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.p, self.margin = p, margin
        self.register_buffer("weight", weight)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss of scores (N, C) at class lists (N, C) ended by -1."""
    fn = staticmethod(F.multilabel_margin_loss)


class MultiLabelSoftMarginLoss(_Loss):
    """One logistic loss per class, averaged over the classes."""
    fn = staticmethod(F.multilabel_soft_margin_loss)
    options = ("weight",)

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-y x)) for targets y in {1, -1}."""
    fn = staticmethod(F.soft_margin_loss)
