"""SmoothQuant (Xiao et al., 2023): move activation outliers into the weights before
W8A8 quantization, without changing what the model computes.

A linear layer reading a normalized activation y [T, K] computes y @ W.T. For any
positive s [K],

    y @ W.T = (y / s) @ (W * s).T        (s divides columns of y, multiplies columns of W)

and y / s costs nothing at inference: when y is the output of an RMSNorm or LayerNorm
with weight g (and bias b), y / s is that norm with g / s (and b / s). Every linear
reading the same norm output must take the same W * s.

With per-input-channel maxima a = max |y| (over calibration tokens) and
w = max |W| over the rows of all those linears,

    s = a^alpha / w^(1 - alpha),   alpha in [0, 1]

(both a and w floored at 1e-5, so that a channel that never fires, or a weight
column of zeros, gives a finite positive s). alpha = 0.5 splits the difficulty
evenly; larger alpha moves more of it into the weights.

Usage, for a Llama-style model (names as the model spells them):

    model.eval()
    absmax = collect_activation_absmax(model, calibration_batches)
    groups = []
    for i in range(num_layers):
        p = f"model.layers.{i}."
        groups.append((p + "input_layernorm",
                       [p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"]))
        groups.append((p + "post_attention_layernorm",
                       [p + "mlp.gate_proj", p + "mlp.up_proj"]))
    smooth(model, groups, absmax, alpha=0.5)

Layers left in 16-bit. The inputs of o_proj and down_proj carry outliers past 1000
that no norm precedes, so by default they are left alone: `skip` (default
DEFAULT_SKIP) names layers that neither smoothing nor the later W8A8 conversion
should touch; is_skipped(name, skip) is the one rule both use. A name matches a
skip entry when it equals it or ends with "." + entry.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import torch
from torch import nn

from ._validate import check_tensor, fail

DEFAULT_SKIP = ("o_proj", "down_proj")
_FLOOR = 1e-5  # floor of both per-channel maxima in smoothing_factors
FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def is_skipped(name: str, skip: Iterable[str]) -> bool:
    """True when module `name` is to stay in 16-bit: it equals an entry of skip or
    ends with "." + entry ("o_proj" matches "model.layers.3.self_attn.o_proj")."""
    return any(name == s or name.endswith("." + s) for s in skip)


# ------------------------------------------------------------------ calibration

def collect_activation_absmax(
    model: nn.Module,
    batches: Iterable,
    module_names: Sequence[str] | None = None,
) -> dict[str, torch.Tensor]:
    """Per-input-channel max |x| of the input of nn.Linear modules, over all tokens
    of all batches.

    model: run as model(batch) for a tensor batch, model(*batch) for a tuple or
        list, model(**batch) for a dict; under torch.no_grad(), in the mode the
        caller left it in (call model.eval() first).
    module_names: names (as in model.named_modules()) of the nn.Linear modules to
        watch; None watches every nn.Linear.
    Returns {name: float32 [in_features]} on the device the activations were on.
    A module that never ran is absent from the result when module_names is None,
    and a ValueError when it was named. The hooks are removed afterwards, also when
    the model raises.
    """
    fn = "collect_activation_absmax"
    if not isinstance(model, nn.Module):
        fail(fn, "model", type(model).__name__, "must be a torch.nn.Module")
    modules = dict(model.named_modules())
    if module_names is None:
        watched = {name: m for name, m in modules.items() if isinstance(m, nn.Linear)}
    else:
        if isinstance(module_names, str):
            fail(fn, "module_names", repr(module_names), "must be a sequence of names, not a str")
        watched = {}
        for name in module_names:
            if name not in modules:
                fail(fn, "module_names", repr(name), "must name modules of model")
            if not isinstance(modules[name], nn.Linear):
                fail(fn, "module_names", f"{name!r} ({type(modules[name]).__name__})",
                     "must name nn.Linear modules")
            watched[name] = modules[name]

    absmax: dict[str, torch.Tensor] = {}

    def make_hook(name: str):
        def hook(module: nn.Linear, args):
            x = args[0].detach()
            # Max over every token (all leading dimensions) of each input channel.
            batch_max = x.abs().reshape(-1, x.shape[-1]).amax(dim=0).float()
            prev = absmax.get(name)
            absmax[name] = batch_max if prev is None else torch.maximum(prev, batch_max)
        return hook

    handles = [m.register_forward_pre_hook(make_hook(name)) for name, m in watched.items()]
    count = 0
    try:
        with torch.no_grad():
            for batch in batches:
                if isinstance(batch, dict):
                    model(**batch)
                elif isinstance(batch, (tuple, list)):
                    model(*batch)
                else:
                    model(batch)
                count += 1
    finally:
        for h in handles:
            h.remove()

    if count == 0:
        fail(fn, "batches", "no batches", "must hold at least one batch")
    if module_names is not None:
        missing = [name for name in watched if name not in absmax]
        if missing:
            fail(fn, "module_names", missing, "must name modules that run on these batches")
    return absmax


# ------------------------------------------------------------------ the factors

def _check_alpha(fn: str, alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) \
            or not (0.0 <= alpha <= 1.0):  # NaN fails this too
        fail(fn, "alpha", repr(alpha), "must be a number in [0, 1]")
    return float(alpha)


def smoothing_factors(
    act_absmax: torch.Tensor,
    weights: Sequence[torch.Tensor],
    alpha: float = 0.5,
) -> torch.Tensor:
    """s [K] = max(a, 1e-5)^alpha / max(w, 1e-5)^(1 - alpha), float32.

    act_absmax: a = per-input-channel max |x|, float [K], finite, >= 0.
    weights: the [N_i, K] weights of every linear reading that input (non-empty);
        w = max over all of them of per-input-channel max |W|.
    Computed in float64, returned as float32 on act_absmax's device.
    """
    fn = "smoothing_factors"
    check_tensor(fn, "act_absmax", act_absmax, dtypes=FLOAT_DTYPES, ndim=1)
    k = act_absmax.shape[0]
    if k == 0:
        fail(fn, "act_absmax", "shape (0,)", "must be non-empty")
    if not bool(torch.isfinite(act_absmax).all()) or bool((act_absmax < 0).any()):
        fail(fn, "act_absmax", "negative, inf or NaN entries", "must be finite and >= 0")
    if isinstance(weights, torch.Tensor) or not isinstance(weights, (list, tuple)) \
            or len(weights) == 0:
        fail(fn, "weights", type(weights).__name__, "must be a non-empty list of tensors")
    for i, w in enumerate(weights):
        check_tensor(fn, f"weights[{i}]", w, dtypes=FLOAT_DTYPES, device=act_absmax.device,
                     contiguous=False)
        if w.dim() != 2 or w.shape[1] != k:
            fail(fn, f"weights[{i}]", f"shape {tuple(w.shape)}", f"must be [N, {k}]")
        if not bool(torch.isfinite(w).all()):
            fail(fn, f"weights[{i}]", "inf or NaN entries", "must be finite")
    alpha = _check_alpha(fn, alpha)

    w_max = torch.stack([w.detach().abs().amax(dim=0).double() for w in weights]).amax(dim=0)
    a_max = act_absmax.detach().double()
    s = a_max.clamp(min=_FLOOR).pow(alpha) / w_max.clamp(min=_FLOOR).pow(1.0 - alpha)
    return s.float()


# ---------------------------------------------------------------- applying them

def _check_smoothing_args(fn, norm_weight, linears, s, norm_bias) -> None:
    """apply_smoothing's argument checks, shared with smooth's first pass."""
    check_tensor(fn, "norm_weight", norm_weight, dtypes=FLOAT_DTYPES, ndim=1)
    k = norm_weight.shape[0]
    dev = norm_weight.device
    if norm_bias is not None:
        check_tensor(fn, "norm_bias", norm_bias, dtypes=FLOAT_DTYPES, shape=(k,), device=dev)
    if isinstance(linears, nn.Module) or not isinstance(linears, (list, tuple)) \
            or len(linears) == 0:
        fail(fn, "linears", type(linears).__name__, "must be a non-empty list of nn.Linear")
    for i, lin in enumerate(linears):
        if not isinstance(lin, nn.Linear):
            fail(fn, f"linears[{i}]", type(lin).__name__, "must be an nn.Linear")
        if lin.in_features != k:
            fail(fn, f"linears[{i}]", f"in_features {lin.in_features}",
                 f"must equal norm_weight's size {k}")
        check_tensor(fn, f"linears[{i}].weight", lin.weight, dtypes=FLOAT_DTYPES, device=dev)
    check_tensor(fn, "s", s, dtypes=FLOAT_DTYPES, shape=(k,), device=dev)
    if not bool(torch.isfinite(s).all()) or not bool((s > 0).all()):
        fail(fn, "s", "zero, negative, inf or NaN entries", "must be finite and positive")


def apply_smoothing(
    norm_weight: torch.Tensor,
    linears: Sequence[nn.Linear],
    s: torch.Tensor,
    norm_bias: torch.Tensor | None = None,
) -> None:
    """In place: norm_weight /= s (and norm_bias /= s), linear.weight[:, k] *= s[k]
    for every linear. The block's output is unchanged up to rounding.

    norm_weight [K] (and norm_bias [K]): the weight (bias) of the RMSNorm/LayerNorm
        whose output all of `linears` read.
    linears: non-empty list of nn.Linear with in_features = K. Their biases are
        unaffected by smoothing.
    s: [K] float, finite and positive (smoothing_factors' output).
    Arithmetic is in float32 (float64 for float64 tensors), then cast back to each
    tensor's dtype. Everything is checked before anything is modified.
    """
    _check_smoothing_args("apply_smoothing", norm_weight, linears, s, norm_bias)
    k = norm_weight.shape[0]

    def compute_dtype(t: torch.Tensor) -> torch.dtype:
        return torch.float64 if t.dtype == torch.float64 else torch.float32

    with torch.no_grad():
        for t in (norm_weight, norm_bias):
            if t is not None:
                c = compute_dtype(t)
                t.copy_((t.to(c) / s.to(c)).to(t.dtype))
        for lin in linears:
            w = lin.weight
            c = compute_dtype(w)
            w.copy_((w.to(c) * s.to(c).view(1, k)).to(w.dtype))


def smooth(
    model: nn.Module,
    groups: Sequence[tuple[str, Sequence[str]]],
    act_absmax: dict[str, torch.Tensor],
    alpha: float = 0.5,
    skip: Iterable[str] = DEFAULT_SKIP,
) -> dict[str, torch.Tensor]:
    """Smooth each (norm_name, [linear_names]) group of model in place.

    groups: the norm module's name (it must have a 1-D .weight, and its .bias, if
        not None, is divided too) and the names of the nn.Linear modules reading its
        output; all names as in model.named_modules().
    act_absmax: collect_activation_absmax's output; a group's activation maximum is
        the elementwise max of its linears' entries (they read the same input).
    skip: names left untouched (see is_skipped). A group whose linears are all
        skipped is left alone; one that mixes skipped and smoothed linears is a
        ValueError, since smoothing changes the input all of them read.
    Returns {norm_name: s} for the groups smoothed. Every group is checked before any
    is modified.
    """
    fn = "smooth"
    if not isinstance(model, nn.Module):
        fail(fn, "model", type(model).__name__, "must be a torch.nn.Module")
    alpha = _check_alpha(fn, alpha)
    if isinstance(skip, str):
        fail(fn, "skip", repr(skip), "must be a collection of names, not a str")
    skip = tuple(skip)
    modules = dict(model.named_modules())

    # First pass: resolve and check everything.
    plan = []
    seen: set[str] = set()  # a norm or linear smoothed twice would be scaled twice
    for gi, group in enumerate(groups):
        where = f"groups[{gi}]"
        if not (isinstance(group, (tuple, list)) and len(group) == 2):
            fail(fn, where, repr(group), "must be a pair (norm_name, [linear_names])")
        norm_name, linear_names = group
        if isinstance(linear_names, str) or len(linear_names) == 0:
            fail(fn, where, repr(linear_names), "must list at least one linear name")
        norm = modules.get(norm_name)
        weight = getattr(norm, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.dim() != 1:
            fail(fn, where, repr(norm_name), "must name a norm module of model with a 1-D weight")
        for name in linear_names:
            if not isinstance(modules.get(name), nn.Linear):
                fail(fn, where, repr(name), "must name nn.Linear modules of model")
        for name in (norm_name, *linear_names):
            if name in seen:
                fail(fn, where, repr(name), "must not repeat a module of another group")
            seen.add(name)

        skipped = [is_skipped(n, skip) for n in linear_names]
        if all(skipped):
            continue
        if any(skipped):
            fail(fn, where, list(linear_names),
                 f"must not mix skipped and smoothed linears (skip={skip})")

        k = weight.shape[0]
        for name in linear_names:
            if name not in act_absmax:
                fail(fn, "act_absmax", f"no entry for {name!r}", "must hold every smoothed linear")
            check_tensor(fn, f"act_absmax[{name!r}]", act_absmax[name], dtypes=FLOAT_DTYPES,
                         shape=(k,), contiguous=False)
        linears = [modules[name] for name in linear_names]
        bias = getattr(norm, "bias", None)
        bias = bias if isinstance(bias, torch.Tensor) else None
        # Checks the linears' sizes, dtypes and devices against the norm's.
        _check_smoothing_args(fn, weight, linears, torch.ones_like(weight), bias)
        a = torch.stack([act_absmax[name].float().to(weight.device) for name in linear_names])
        s = smoothing_factors(a.amax(dim=0), [lin.weight for lin in linears], alpha)
        plan.append((norm_name, weight, bias, linears, s))

    # Second pass: modify.
    result = {}
    for norm_name, weight, bias, linears, s in plan:
        apply_smoothing(weight, linears, s, norm_bias=bias)
        result[norm_name] = s
    return result
