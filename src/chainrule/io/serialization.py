"""`save` and `load`: a checkpoint (tensors inside nested dicts, lists and plain values) as ONE
safetensors file. The tensors are the file's tensors, named by where they sit
(`model.encoder.fc.weight`); everything else is a JSON tree in the file's metadata. No pickle:
loading a file never runs code.

The JSON tree uses plain JSON for None, bools, ints, finite floats, strings and lists; every JSON
object is tagged by its first key, for what plain JSON cannot say:
    {"tensor": name, "requires_grad": bool}   {"ndarray": name}   {"tuple": [...]}
    {"dict": {str key: value}}   {"items": [[key, value], ...]} (keys that are not strings)
    {"float": "nan" | "inf" | "-inf"}

Writes are atomic: the file is written beside its destination under a temporary name, flushed
to disk, then renamed over it, so a crash mid-save leaves the previous checkpoint intact (and at
worst a stray `.<name>.<random>.tmp` file)."""
import json
import math
import os
import secrets
import struct

import numpy as np
import safetensors
import safetensors.numpy

from ..backend import Device, to_device
from ..tensor import Tensor

__all__ = ["save", "load"]

FORMAT = "chainrule-checkpoint-1"


class CheckpointError(ValueError):
    """A file that cannot be read as a checkpoint (truncated, corrupted, or not safetensors)."""


# ---- save -------------------------------------------------------------------------------------
def save(obj, f):
    """Writes `obj` (a tensor, a state dict, or nested dicts/lists/tuples of tensors, arrays,
    numbers, strings, bools and None) as a safetensors file: to the path `f`, atomically, or
    into the file object `f` (an open binary file, `io.BytesIO`)."""
    tensors, names = {}, {}
    tree = _encode(obj, "", tensors, names)
    metadata = {"format": FORMAT, "structure": json.dumps(tree, allow_nan=False)}
    data = safetensors.numpy.save(tensors, metadata=metadata)
    if hasattr(f, "write"):
        f.write(data)
    else:
        _atomic_write(os.fspath(f), data)


def _encode(obj, where, tensors, names):
    if isinstance(obj, np.generic):  # NumPy scalars are stored as the Python numbers they hold
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": str(obj)}
    if isinstance(obj, Tensor):
        return {"tensor": _store(obj.array, obj, where, tensors, names),
                "requires_grad": obj.requires_grad}
    if hasattr(obj, "__array_interface__") or hasattr(obj, "__cuda_array_interface__"):
        return {"ndarray": _store(obj, obj, where, tensors, names)}
    if isinstance(obj, list):
        return [_encode(v, _join(where, i), tensors, names) for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"tuple": [_encode(v, _join(where, i), tensors, names) for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {"dict": {k: _encode(v, _join(where, k), tensors, names)
                             for k, v in obj.items()}}
        return {"items": [[_encode(k, where, tensors, names),
                           _encode(v, _join(where, k), tensors, names)] for k, v in obj.items()]}
    if hasattr(obj, "state_dict"):
        raise TypeError(f"save: a whole {type(obj).__name__} cannot be saved (at "
                        f"{where or 'the top level'!r}): chainrule never pickles, so that loading "
                        "a file never runs code; save its .state_dict() instead, and load it into "
                        "a model built the same way: model.load_state_dict(cr.load(path))")
    raise TypeError(f"save: cannot store a {type(obj).__name__} at {where or 'the top level'!r}"
                    "; a checkpoint holds tensors, arrays, numbers, strings, bools, None "
                    "and lists, tuples and dicts of them")


def _store(array, owner, where, tensors, names):
    """The file's name for this tensor: one entry per object, so shared tensors stay shared."""
    if id(owner) in names:
        return names[id(owner)][0]
    name, n = where or "tensor", 1
    while name in tensors:
        n += 1
        name = f"{where or 'tensor'}#{n}"
    array = to_device(array, "cpu")
    tensors[name] = array if array.flags.c_contiguous else array.copy(order="C")
    names[id(owner)] = (name, owner)  # keeps owner alive so that its id is not reused
    return name


def _join(where, key):
    return f"{where}.{key}" if where else str(key)


def _atomic_write(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {path!r}: the directory {directory!r} "
                                "does not exist")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Makes the rename itself durable (POSIX); not possible on Windows, where it is skipped."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- load -------------------------------------------------------------------------------------
def load(f, map_location=None):
    """Reads what `save` wrote, from a path or a file object: tensors come back as Tensors on the
    CPU, or on `map_location` ("cpu", "cuda", "cuda:1"). A safetensors file written by another
    program comes back as a dict of its tensors by name."""
    device = None if map_location is None else Device(map_location)
    if hasattr(f, "read"):
        path, data = getattr(f, "name", "the file object"), f.read()
    else:
        path = os.fspath(f)
        with open(path, "rb") as file:  # read once: a concurrent save replaces the file whole
            data = file.read()
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as e:  # safetensors raises its own error type, from Rust
        raise CheckpointError(f"load: {path!r} is not a readable checkpoint: "
                              f"{_diagnose(data) or e}") from None
    metadata = _header(data).get("__metadata__") or {}
    tensors = {}

    def tensor(name):
        if name not in tensors:
            if name not in arrays:
                raise CheckpointError(f"load: {path!r} is corrupted: its structure refers to a "
                                      f"tensor {name!r} that the file does not hold")
            array = arrays[name]
            tensors[name] = Tensor.wrap(to_device(array, device) if device else array)
        return tensors[name]

    if metadata.get("format") != FORMAT:
        return {name: tensor(name) for name in arrays}
    try:
        tree = json.loads(metadata["structure"])
    except (KeyError, ValueError) as e:
        raise CheckpointError(f"load: {path!r} is corrupted: its structure cannot be read "
                              f"({e})") from None
    return _decode(tree, tensor, arrays, path)


def _decode(node, tensor, arrays, path):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, tensor, arrays, path) for v in node]
    if isinstance(node, dict) and len(node) in (1, 2):
        tag, value = next(iter(node.items()))
        if tag == "tensor":
            t = tensor(value)
            if node.get("requires_grad"):
                t.requires_grad_(True)
            return t
        if tag == "ndarray":
            return tensor(value).numpy()
        if tag == "tuple":
            return tuple(_decode(v, tensor, arrays, path) for v in value)
        if tag == "dict":
            return {k: _decode(v, tensor, arrays, path) for k, v in value.items()}
        if tag == "items":
            return {_decode(k, tensor, arrays, path): _decode(v, tensor, arrays, path)
                    for k, v in value}
        if tag == "float":
            return float(value)
    raise CheckpointError(f"load: {path!r} is corrupted: unexpected entry "
                          f"{json.dumps(node)[:80]} in its structure")


def _header(data):
    """The JSON header of a safetensors file: 8 bytes (little-endian length), then the JSON."""
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length])


def _diagnose(data):
    """Why safetensors could not read the file, in words (None if no simple reason is found)."""
    size = len(data)
    if size < 8:
        return f"the file has only {size} bytes, too few for a safetensors file (truncated?)"
    (length,) = struct.unpack("<Q", data[:8])
    if length > size - 8:
        return (f"it is not a safetensors file, or it is truncated: its first 8 bytes announce "
                f"a header of {length} bytes but the file has {size} bytes")
    try:
        header = _header(data)
    except ValueError:
        return "it is not a safetensors file: its header is not JSON"
    ends = [info["data_offsets"][1] for name, info in header.items()
            if name != "__metadata__" and isinstance(info, dict) and "data_offsets" in info]
    needed = 8 + length + max(ends, default=0)
    if needed > size:
        return f"it is truncated: it should have {needed} bytes but has {size}"
    return None
