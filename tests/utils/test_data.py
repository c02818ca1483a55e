"""chainrule.utils.data answers to PyTorch's torch.utils.data: the same objects as chainrule.data,
and the batches they make equal torch's."""
import numpy as np
import torch
import torch.utils.data as torch_data

import chainrule as cr
import chainrule.utils.data as cr_data

# torch.utils.data names chainrule leaves out: DataPipes (deprecated), DistributedSampler,
# StackDataset and torch's private helpers.
NOT_PROVIDED = {"DFIterDataPipe", "DataChunk", "IterDataPipe", "MapDataPipe",
                "functional_datapipe", "guaranteed_datapipes_determinism", "non_deterministic",
                "runtime_validation", "runtime_validation_disabled", "argument_validation",
                "_DatasetKind", "DistributedSampler", "StackDataset"}


def test_same_objects_as_chainrule_data():
    assert cr.utils.data is cr_data
    assert set(cr_data.__all__) == set(cr.data.__all__)
    for name in cr.data.__all__:
        assert getattr(cr_data, name) is getattr(cr.data, name), name


def test_torch_names_are_there():
    missing = set(torch_data.__all__) - NOT_PROVIDED - set(dir(cr_data))
    assert not missing, f"torch.utils.data names chainrule.utils.data lacks: {sorted(missing)}"


def test_batches_equal_torch():
    x = np.arange(30.0).reshape(10, 3)
    y = np.arange(10)
    ours = cr_data.DataLoader(cr_data.TensorDataset(cr.from_numpy(x), cr.from_numpy(y)),
                              batch_size=4, drop_last=True)
    theirs = torch_data.DataLoader(torch_data.TensorDataset(torch.from_numpy(x),
                                                            torch.from_numpy(y)),
                                   batch_size=4, drop_last=True)
    assert len(ours) == len(theirs)
    for (ox, oy), (tx, ty) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(ox.numpy(), tx.numpy())
        np.testing.assert_array_equal(oy.numpy(), ty.numpy())
        assert str(ox.dtype).split(".")[-1] == str(tx.dtype).split(".")[-1]
        assert str(oy.dtype).split(".")[-1] == str(ty.dtype).split(".")[-1]
