"""Activation checkpointing: trade compute for memory. A checkpointed segment runs its forward
under no_grad, so the graph keeps only the segment's inputs, not the activations inside it;
backward runs the segment again, this time recorded, and backpropagates through that. The
random generator's state is restored for the rerun, so that dropout draws the same masks and
the gradients equal those of the plain run.

The rerun's backward accumulates into the .grad of the parameters the segment uses (they are
not inputs of the node), as PyTorch's reentrant checkpoint does, so checkpointed segments suit
loss.backward(), not cr.grad(loss, params). `use_reentrant=False` differs in one way: the
segment is recorded even if no input requires grad (the first segment of a network, fed with
data), so that its parameters still get gradients."""
from ..autograd import Function, engine, enable_grad, is_grad_enabled, once_differentiable
from ..backend import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class Checkpoint(Function):
    """The node of one checkpointed segment: it keeps the segment's inputs, and its backward
    recomputes the segment and walks that graph."""

    @staticmethod
    def forward(ctx, run, rng_state, anchor, *args):
        """anchor: None, or a tensor that requires grad, so that the node is recorded even if
        no input requires grad (its gradient is None)."""
        ctx.run, ctx.rng_state = run, rng_state
        ctx.save_for_backward(*args)
        return run(*args)  # (a Function's forward records nothing)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        inputs = [x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x
                  for x in ctx.saved_tensors]
        outer_state = get_rng_state()
        if ctx.rng_state is not None:
            set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                outputs = ctx.run(*inputs)
        finally:
            set_rng_state(outer_state)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            engine.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, None) + tuple(x.grad if isinstance(x, Tensor) else None for x in inputs)


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """function(*args, **kwargs), with the activations inside it recomputed in backward instead
    of kept (see the module docstring). `use_reentrant` None means True, as in PyTorch."""
    def run(*inputs):
        return function(*inputs, **kwargs)
    anchor = Tensor(0.0, requires_grad=True) if use_reentrant is False and is_grad_enabled() \
        else None
    return Checkpoint.apply(run, get_rng_state() if preserve_rng_state else None, anchor, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs `functions` (a Sequential or a list of modules) on `input` in `segments` pieces of
    equal length, checkpointing every piece but the last (whose activations backward needs
    first anyway). `kwargs` go to checkpoint (preserve_rng_state)."""
    functions = list(functions.children()) if hasattr(functions, "children") else \
        list(functions)
    if not 0 < segments <= len(functions):
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and the number of "
                         f"functions ({len(functions)}), got {segments}")
    size = len(functions) // segments

    def run(start, end):
        def forward(x):
            for f in functions[start:end]:
                x = f(x)
            return x
        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end, len(functions))(input)
