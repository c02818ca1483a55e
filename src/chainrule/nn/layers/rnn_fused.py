"""Fused recurrent layers: one op per layer and direction walks the whole sequence on raw arrays,
and its backward walks it back (backprop through time written by hand). This is the default
path of nn.RNN, nn.LSTM and nn.GRU; it is much quicker than recording every step as ops, but
its backward cannot be differentiated again (see rnn.py for the switch to the per-step path).

Every op takes gx = x W_ih^T + b_ih for all steps at once (one matmul, made by the caller) and
works on packed rows: step t owns rows [start_t, start_t + batch_sizes[t]) of every per-step
array, and its batch_sizes[t] running sequences are the first rows of the state (h, c), whose
other rows keep what they hold (a final state walking forward, an initial one walking backward).
What backward needs of each step is kept in packed arrays, so that the gradient of W_hh is ONE
matmul over all steps at the end: dW_hh = dgates^T @ h_prev."""
import itertools

import numpy as np

from ...autograd.function import Op, once_differentiable
from ...backend import array_module

__all__ = ["FusedRNN", "FusedLSTM", "FusedGRU", "fused_walk"]

INSTEAD = ("Recurrent layers run a fused op by default, like PyTorch's cuDNN ones; for the "
           "per-step path, whose gradients are differentiable, set "
           "chainrule.backends.cudnn.enabled = False (or run the layer inside "
           "`with chainrule.backends.cudnn.flags(enabled=False):`).")


def schedule(batch_sizes, reverse):
    """Per step, in walk order: (its rows of the packed arrays, how many sequences run)."""
    starts = itertools.accumulate(batch_sizes, initial=0)
    steps = [(slice(start, start + n), n) for start, n in zip(starts, batch_sizes)]
    return steps[::-1] if reverse else steps


def sigmoid_(a, xp):
    """a = 1 / (1 + e^-a), in place (e^-a overflowing to inf gives 0, as it should)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


def plus_bias(gx, b):
    """gx + b as a new array (the op writes into it)."""
    return gx + b if b is not None else gx.copy()


def gates_of(a, count):
    """The gates of (rows, count * H) as one (rows, count, H) view."""
    return a.reshape(a.shape[0], count, -1)


def chunks(a, count):
    """The gates of (rows, count * H) as count (rows, H) views."""
    size = a.shape[1] // count
    return tuple(a[:, k * size:(k + 1) * size] for k in range(count))


@once_differentiable
class FusedRNN(Op):
    """h_t = act(gx_t + h_{t-1} W_hh^T + b_hh), act tanh or relu (relu=True)."""
    double_backward_instead = INSTEAD

    def forward(ctx, gx, h0, w_hh, b_hh, batch_sizes=(), reverse=False, relu=False):
        xp = array_module(gx)
        out = plus_bias(gx, b_hh)  # pre-activations, then h_t, in place
        hprev = xp.empty((len(gx), h0.shape[1]), gx.dtype)
        h = h0.copy()
        for rows, n in schedule(batch_sizes, reverse):
            hp, a = hprev[rows], out[rows]
            hp[...] = h[:n]
            a += hp @ w_hh.T
            if relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            h[:n] = a
        ctx.save_for_backward(out, hprev, w_hh, batch_sizes, reverse, relu)
        return out, h

    def backward(ctx, g_out, g_h):
        out, hprev, w_hh, batch_sizes, reverse, relu = ctx.saved_arrays
        xp = array_module(out)
        da = xp.empty_like(out)  # the gradient of each step's pre-activation
        dh = g_h.copy()
        for rows, n in schedule(batch_sizes, reverse)[::-1]:
            d, h = da[rows], out[rows]
            xp.add(dh[:n], g_out[rows], out=d)
            d *= (h > 0) if relu else 1 - h * h  # act' from act's output
            xp.matmul(d, w_hh, out=dh[:n])
        needs = ctx.needs_input_grad
        return (da, dh, da.T @ hprev if needs[2] else None,
                da.sum(0) if needs[3] else None)


@once_differentiable
class FusedLSTM(Op):
    """Gates i, f, g, o = gx_t + h_{t-1} W_hh^T + b_hh (sigmoid, sigmoid, tanh, sigmoid);
    c_t = f c_{t-1} + i g, h_t = o tanh(c_t), projected by W_hr when given."""
    double_backward_instead = INSTEAD

    def forward(ctx, gx, h0, c0, w_hh, b_hh, w_hr, batch_sizes=(), reverse=False):
        xp = array_module(gx)
        rows_all, size = len(gx), c0.shape[1]
        gates = plus_bias(gx, b_hh)  # pre-activations, then i, f, g, o, in place
        hprev = xp.empty((rows_all, h0.shape[1]), gx.dtype)
        cprev, tanh_c = xp.empty((rows_all, size), gx.dtype), xp.empty((rows_all, size), gx.dtype)
        hraw = None if w_hr is None else xp.empty((rows_all, size), gx.dtype)  # o tanh(c)
        out = xp.empty((rows_all, h0.shape[1]), gx.dtype)
        h, c = h0.copy(), c0.copy()
        with np.errstate(over="ignore"):
            for rows, n in schedule(batch_sizes, reverse):
                hp, a = hprev[rows], gates[rows]
                hp[...] = h[:n]
                cprev[rows] = c[:n]
                a += hp @ w_hh.T
                sigmoid_(a[:, :2 * size], xp)
                xp.tanh(a[:, 2 * size:3 * size], out=a[:, 2 * size:3 * size])
                sigmoid_(a[:, 3 * size:], xp)
                i, f, g, o = chunks(a, 4)
                cn = c[:n]
                cn *= f
                cn += i * g
                tc = xp.tanh(cn, out=tanh_c[rows])
                if w_hr is None:
                    xp.multiply(o, tc, out=out[rows])
                else:
                    xp.matmul(xp.multiply(o, tc, out=hraw[rows]), w_hr.T, out=out[rows])
                h[:n] = out[rows]
        ctx.save_for_backward(gates, hprev, cprev, tanh_c, hraw, w_hh, w_hr, batch_sizes,
                              reverse)
        return out, h, c

    def backward(ctx, g_out, g_h, g_c):
        gates, hprev, cprev, tanh_c, hraw, w_hh, w_hr, batch_sizes, reverse = ctx.saved_arrays
        xp = array_module(gates)
        size = tanh_c.shape[1]
        dgates = xp.empty_like(gates)
        d_out = xp.empty_like(hprev) if w_hr is not None else None  # each step's dh, for dW_hr
        dh, dc = g_h.copy(), g_c.copy()
        for rows, n in schedule(batch_sizes, reverse)[::-1]:
            if w_hr is None:
                dhn = xp.add(dh[:n], g_out[rows], out=dh[:n])
            else:
                dhn = xp.add(dh[:n], g_out[rows], out=d_out[rows]) @ w_hr
            a, tc, dcn, dg = gates[rows], tanh_c[rows], dc[:n], dgates[rows]
            i, f, g, o = chunks(a, 4)
            dcn += dhn * o * (1 - tc * tc)  # through h_t = o tanh(c_t)
            # d(pre-activation) = d(gate) times the gate's slope: s (1 - s), or 1 - g^2 for g
            slope = a - a * a
            xp.subtract(1, g * g, out=slope[:, 2 * size:3 * size])
            di, df, dgg, do = chunks(dg, 4)
            xp.multiply(dcn, g, out=di)
            xp.multiply(dcn, cprev[rows], out=df)
            xp.multiply(dcn, i, out=dgg)
            xp.multiply(dhn, tc, out=do)
            dg *= slope
            dcn *= f
            xp.matmul(dg, w_hh, out=dh[:n])
        needs = ctx.needs_input_grad
        return (dgates, dh, dc, dgates.T @ hprev if needs[3] else None,
                dgates.sum(0) if needs[4] else None,
                d_out.T @ hraw if w_hr is not None and needs[5] else None)


@once_differentiable
class FusedGRU(Op):
    """Gates r, z = sigmoid(gx_t + h_{t-1} W_hh^T + b_hh) (their parts), n = tanh(gx_n +
    r (h_{t-1} W_hn^T + b_hn)); h_t = (1 - z) n + z h_{t-1}."""
    double_backward_instead = INSTEAD

    def forward(ctx, gx, h0, w_hh, b_hh, batch_sizes=(), reverse=False):
        xp = array_module(gx)
        size = h0.shape[1]
        gates = xp.empty_like(gx)  # r, z, n
        hn = xp.empty((len(gx), size), gx.dtype)  # h_{t-1} W_hn^T + b_hn, which r scales
        hprev = xp.empty((len(gx), size), gx.dtype)
        out = xp.empty((len(gx), size), gx.dtype)
        h = h0.copy()
        with np.errstate(over="ignore"):
            for rows, n in schedule(batch_sizes, reverse):
                hp, a, x = hprev[rows], gates[rows], gx[rows]
                hp[...] = h[:n]
                gh = hp @ w_hh.T
                if b_hh is not None:
                    gh += b_hh
                xp.add(x[:, :2 * size], gh[:, :2 * size], out=a[:, :2 * size])
                sigmoid_(a[:, :2 * size], xp)
                r, z, new = chunks(a, 3)
                hn[rows] = gh[:, 2 * size:]
                xp.multiply(r, hn[rows], out=new)
                new += x[:, 2 * size:]
                xp.tanh(new, out=new)
                hnew = xp.subtract(hp, new, out=out[rows])  # h' = n + z (h - n)
                hnew *= z
                hnew += new
                h[:n] = hnew
        ctx.save_for_backward(gates, hn, hprev, w_hh, batch_sizes, reverse)
        return out, h

    def backward(ctx, g_out, g_h):
        gates, hn, hprev, w_hh, batch_sizes, reverse = ctx.saved_arrays
        xp = array_module(gates)
        size = hn.shape[1]
        dgx = xp.empty_like(gates)  # the gradient of gx; of r and z, also of their hidden part
        dhidden = xp.empty_like(gates)  # the gradient of h_{t-1} W_hh^T + b_hh
        dh = g_h.copy()
        for rows, n in schedule(batch_sizes, reverse)[::-1]:
            a, hp, dd = gates[rows], hprev[rows], gates_of(dhidden[rows], 3)
            r, z, new = chunks(a, 3)
            dhn = xp.add(dh[:n], g_out[rows])
            dn = dgx[rows, 2 * size:]  # n's pre-activation: dh (1 - z)(1 - n^2)
            xp.multiply(new, new, out=dn)
            xp.subtract(1, dn, out=dn)
            dn *= 1 - z
            dn *= dhn
            xp.multiply(dn, hn[rows], out=dd[:, 0])  # dr = dn hn, dz = dh (h_{t-1} - n),
            xp.subtract(hp, new, out=dd[:, 1])       # each times its sigmoid's slope
            dd[:, 1] *= dhn
            rz = a[:, :2 * size]
            dd[:, :2] *= gates_of(rz - rz * rz, 2)
            xp.multiply(dn, r, out=dd[:, 2])
            xp.multiply(dhn, z, out=dh[:n])
            dh[:n] += dhidden[rows] @ w_hh
        dgx[:, :2 * size] = dhidden[:, :2 * size]
        needs = ctx.needs_input_grad
        return (dgx, dh, dhidden.T @ hprev if needs[2] else None,
                dhidden.sum(0) if needs[3] else None)


def fused_walk(mode, gx, batch_sizes, state0, w, reverse):
    """One direction of one layer through its fused op: (output rows, final state tuple),
    as rnn.walk returns them."""
    batch_sizes = tuple(batch_sizes)
    if mode == "LSTM":
        out, h, c = FusedLSTM.apply(gx, *state0, w.hh, w.b_hh, w.hr, batch_sizes=batch_sizes,
                                    reverse=reverse)
        return out, (h, c)
    if mode == "GRU":
        out, h = FusedGRU.apply(gx, *state0, w.hh, w.b_hh, batch_sizes=batch_sizes,
                                reverse=reverse)
    else:
        out, h = FusedRNN.apply(gx, *state0, w.hh, w.b_hh, batch_sizes=batch_sizes,
                                reverse=reverse, relu=mode == "RNN_RELU")
    return out, (h,)
