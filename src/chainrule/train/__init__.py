"""Training: the fit loop, metrics, callbacks, checkpoints, pictures, and named models."""
from . import autoencoders, dcgan, gan, models
from .callbacks import EarlyStopping, JSONLinesLog, ProgressBar
from .metrics import confusion_matrix, correct
from .plots import plot_confusion, plot_curves
from .trainer import Trainer, fit
