"""`chainrule.utils.data` is PyTorch's `torch.utils.data` spelled for chainrule: the same names
as `chainrule.data` (Dataset, TensorDataset, DataLoader, samplers, ...), so that
`from torch.utils.data import DataLoader` becomes `from chainrule.utils.data import DataLoader`."""
from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
