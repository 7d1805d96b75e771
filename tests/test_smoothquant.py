"""SmoothQuant (qgemm.smoothquant) on a small Llama-like block, float64, CPU.

The block: input_layernorm (RMSNorm) -> q_proj, k_proj -> o_proj on their
concatenation, residual add; post_attention_layernorm (LayerNorm, with a bias) ->
up_proj -> down_proj, residual add. Inputs carry a few outlier channels.
"""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from qgemm.smoothquant import (
    DEFAULT_SKIP,
    apply_smoothing,
    collect_activation_absmax,
    is_skipped,
    smooth,
    smoothing_factors,
)

F64 = torch.float64


class Layer(nn.Module):
    def __init__(self, k: int, gen: torch.Generator):
        super().__init__()
        self.input_layernorm = nn.RMSNorm(k, eps=1e-6, dtype=F64)
        self.q_proj = nn.Linear(k, k, bias=False, dtype=F64)
        self.k_proj = nn.Linear(k, 4, bias=True, dtype=F64)
        self.o_proj = nn.Linear(k + 4, k, bias=False, dtype=F64)
        self.post_attention_layernorm = nn.LayerNorm(k, dtype=F64)
        self.up_proj = nn.Linear(k, 2 * k, bias=True, dtype=F64)
        self.down_proj = nn.Linear(2 * k, k, bias=False, dtype=F64)
        with torch.no_grad():  # non-trivial norm weights and biases
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen, dtype=F64) * 0.5)
            self.input_layernorm.weight.add_(1.0)
            self.post_attention_layernorm.weight.add_(1.0)

    def forward(self, x):
        h = self.input_layernorm(x)
        x = x + self.o_proj(torch.cat([self.q_proj(h), self.k_proj(h)], dim=-1))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(torch.relu(self.up_proj(h)))


class Model(nn.Module):
    def __init__(self, k: int = 8, layers: int = 2, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.layers = nn.ModuleList([Layer(k, gen) for _ in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def groups_of(model: Model):
    out = []
    for i in range(len(model.layers)):
        p = f"layers.{i}."
        out.append((p + "input_layernorm", [p + "q_proj", p + "k_proj"]))
        out.append((p + "post_attention_layernorm", [p + "up_proj"]))
    return out


def batches(k: int, seed: int, outlier: float = 50.0):
    """Three batches of different leading shapes; channel 1 and the last channel are
    outliers (as after an embedding with massive activations)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for shape in [(2, 5, k), (7, k), (1, 1, k)]:
        x = torch.randn(shape, generator=gen, dtype=F64)
        x[..., 1] *= outlier
        x[..., -1] *= outlier / 3
        out.append(x)
    return out


def linear_inputs(model: Model, xs):
    """Every linear's input, computed by hand (no hooks)."""
    inputs = {}
    with torch.no_grad():
        for x in xs:
            for i, layer in enumerate(model.layers):
                p = f"layers.{i}."
                h = layer.input_layernorm(x)
                cat = torch.cat([layer.q_proj(h), layer.k_proj(h)], dim=-1)
                x = x + layer.o_proj(cat)
                h2 = layer.post_attention_layernorm(x)
                act = torch.relu(layer.up_proj(h2))
                x = x + layer.down_proj(act)
                for name, t in [("q_proj", h), ("k_proj", h), ("o_proj", cat),
                                ("up_proj", h2), ("down_proj", act)]:
                    inputs.setdefault(p + name, []).append(t.reshape(-1, t.shape[-1]))
    return {name: torch.cat(ts) for name, ts in inputs.items()}


def hooks_left(model: nn.Module) -> int:
    return sum(len(m._forward_pre_hooks) for m in model.modules())


# ------------------------------------------------------------------ calibration

@given(k=st.sampled_from([4, 8, 13]), seed=st.integers(0, 2**31 - 1))
def test_collected_absmax_equals_a_direct_computation(k, seed):
    model = Model(k, seed=seed)
    xs = batches(k, seed)
    absmax = collect_activation_absmax(model, xs)

    direct = linear_inputs(model, xs)
    assert set(absmax) == set(direct)
    for name, t in direct.items():
        assert absmax[name].dtype == torch.float32
        assert torch.equal(absmax[name], t.abs().amax(dim=0).float()), name
    assert hooks_left(model) == 0


def test_module_names_restrict_the_hooks_and_batches_may_be_tuples_or_dicts():
    model = Model(8)
    xs = batches(8, 1)
    names = ["layers.1.down_proj", "layers.0.q_proj"]
    got = collect_activation_absmax(model, [(x,) for x in xs], module_names=names)
    assert set(got) == set(names)
    direct = linear_inputs(model, xs)
    for name in names:
        assert torch.equal(got[name], direct[name].abs().amax(dim=0).float())
    as_dicts = collect_activation_absmax(model, [{"x": x} for x in xs], module_names=names)
    assert all(torch.equal(as_dicts[n], got[n]) for n in names)
    assert hooks_left(model) == 0


def test_hooks_are_removed_when_the_model_raises():
    model = Model(8)
    bad = [torch.randn(3, 8, dtype=F64), torch.randn(3, 5, dtype=F64)]  # wrong width
    with pytest.raises(RuntimeError):
        collect_activation_absmax(model, bad)
    assert hooks_left(model) == 0


@pytest.mark.parametrize("kwargs, arg", [
    (dict(model="not a module", batches=[]), "model"),
    (dict(module_names=["layers.0.nope"]), "module_names"),
    (dict(module_names=["layers.0.input_layernorm"]), "module_names"),
    (dict(module_names="layers.0.q_proj"), "module_names"),
    (dict(batches=[]), "batches"),
])
def test_collect_bad_inputs_raise(kwargs, arg):
    args = dict(model=Model(8), batches=batches(8, 0))
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        collect_activation_absmax(**args)
    assert str(info.value).startswith(f"qgemm.collect_activation_absmax: {arg} ")
    if isinstance(args["model"], nn.Module):
        assert hooks_left(args["model"]) == 0


def test_a_named_module_that_never_runs_is_an_error():
    model = Model(8)
    model.extra = nn.Linear(8, 8, dtype=F64)  # not called by forward
    with pytest.raises(ValueError, match="module_names"):
        collect_activation_absmax(model, batches(8, 0), module_names=["extra"])
    assert "extra" not in collect_activation_absmax(model, batches(8, 0))
    assert hooks_left(model) == 0


# ------------------------------------------------------------------ the factors

@given(k=st.integers(1, 12), alpha=st.floats(0, 1), seed=st.integers(0, 2**31 - 1))
def test_smoothing_factors_follow_the_formula(k, alpha, seed):
    gen = torch.Generator().manual_seed(seed)
    a = torch.rand(k, generator=gen) * 100
    a[0] = 0.0  # a channel that never fires: floored at 1e-5
    w1 = torch.randn(3, k, generator=gen)
    w2 = torch.randn(5, k, generator=gen) * 2
    w2[:, -1] = 0.0
    w1[:, -1] = 0.0  # an all-zero weight column: floored at 1e-5

    s = smoothing_factors(a, [w1, w2], alpha)
    assert s.dtype == torch.float32 and s.shape == (k,)
    w_max = torch.maximum(w1.abs().amax(dim=0), w2.abs().amax(dim=0)).double().clamp(min=1e-5)
    want = a.double().clamp(min=1e-5) ** alpha / w_max ** (1 - alpha)
    assert torch.equal(s, want.float())
    assert bool((s > 0).all()) and bool(torch.isfinite(s).all())


@pytest.mark.parametrize("alpha", [-0.01, 1.01, float("nan"), True, "0.5", None])
def test_alpha_outside_zero_one_is_refused(alpha):
    with pytest.raises(ValueError) as info:
        smoothing_factors(torch.ones(4), [torch.ones(2, 4)], alpha)
    assert str(info.value).startswith("qgemm.smoothing_factors: alpha ")
    with pytest.raises(ValueError, match="qgemm.smooth: alpha "):
        smooth(Model(8), [], {}, alpha=alpha)


@pytest.mark.parametrize("call, arg", [
    (lambda: smoothing_factors(torch.ones(4, 1), [torch.ones(2, 4)]), "act_absmax"),
    (lambda: smoothing_factors(-torch.ones(4), [torch.ones(2, 4)]), "act_absmax"),
    (lambda: smoothing_factors(torch.ones(4), []), "weights"),
    (lambda: smoothing_factors(torch.ones(4), torch.ones(2, 4)), "weights"),
    (lambda: smoothing_factors(torch.ones(4), [torch.ones(2, 4), torch.ones(2, 3)]), "weights[1]"),
    (lambda: smoothing_factors(torch.ones(4), [torch.full((2, 4), float("inf"))]), "weights[0]"),
])
def test_smoothing_factors_bad_inputs_raise(call, arg):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(f"qgemm.smoothing_factors: {arg} ")


# ---------------------------------------------------------------- applying them

@given(k=st.sampled_from([4, 8, 13]), alpha=st.sampled_from([0.0, 0.3, 0.5, 0.85, 1.0]),
       outlier=st.sampled_from([1.0, 50.0, 2000.0]), seed=st.integers(0, 2**31 - 1))
def test_smoothing_leaves_the_output_unchanged_and_divides_activations_by_s(
    k, alpha, outlier, seed,
):
    model = Model(k, seed=seed)
    xs = batches(k, seed, outlier)
    with torch.no_grad():
        before = [model(x) for x in xs]
    absmax = collect_activation_absmax(model, xs)

    factors = smooth(model, groups_of(model), absmax, alpha=alpha)

    assert set(factors) == {g[0] for g in groups_of(model)}
    with torch.no_grad():
        after = [model(x) for x in xs]
    for b, a in zip(before, after):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    # Each smoothed linear's input absmax is divided by its group's s.
    new_absmax = collect_activation_absmax(model, xs)
    for norm_name, linear_names in groups_of(model):
        s = factors[norm_name].double()
        for name in linear_names:
            torch.testing.assert_close(new_absmax[name].double(), absmax[name].double() / s,
                                       rtol=1e-6, atol=0)  # absmax is stored in float32
    # The inputs of o_proj and down_proj (not smoothed) keep their maxima up to rounding.
    for name in ("layers.0.o_proj", "layers.0.down_proj"):
        torch.testing.assert_close(new_absmax[name], absmax[name], rtol=1e-6, atol=1e-6)


def test_alpha_half_balances_activation_and_weight_maxima():
    model = Model(8, seed=3)
    xs = batches(8, 3)
    absmax = collect_activation_absmax(model, xs)
    smooth(model, groups_of(model), absmax, alpha=0.5)
    new_absmax = collect_activation_absmax(model, xs)
    layer = model.layers[0]
    w_max = torch.maximum(layer.q_proj.weight.abs().amax(0), layer.k_proj.weight.abs().amax(0))
    # a / s = sqrt(a * w) = w * s per channel.
    torch.testing.assert_close(new_absmax["layers.0.q_proj"].double(), w_max, rtol=1e-6, atol=0)


def test_apply_smoothing_divides_norm_and_multiplies_linear_columns():
    gen = torch.Generator().manual_seed(0)
    g = torch.randn(6, generator=gen, dtype=F64)
    b = torch.randn(6, generator=gen, dtype=F64)
    lin = nn.Linear(6, 3, dtype=F64)
    w0, bias0, g0, b0 = lin.weight.detach().clone(), lin.bias.detach().clone(), g.clone(), b.clone()
    s = torch.rand(6, generator=gen) + 0.5
    apply_smoothing(g, [lin], s, norm_bias=b)
    assert torch.equal(g, g0 / s.double()) and torch.equal(b, b0 / s.double())
    assert torch.equal(lin.weight.detach(), w0 * s.double().view(1, 6))
    assert torch.equal(lin.bias.detach(), bias0)


@pytest.mark.parametrize("call, arg", [
    (lambda m: apply_smoothing(torch.ones(2, 8), [m], torch.ones(8)), "norm_weight"),
    (lambda m: apply_smoothing(torch.ones(8), [], torch.ones(8)), "linears"),
    (lambda m: apply_smoothing(torch.ones(8), m, torch.ones(8)), "linears"),
    (lambda m: apply_smoothing(torch.ones(8), [nn.Linear(7, 2)], torch.ones(8)), "linears[0]"),
    (lambda m: apply_smoothing(torch.ones(8), [m, "x"], torch.ones(8)), "linears[1]"),
    (lambda m: apply_smoothing(torch.ones(8), [m], torch.zeros(8)), "s"),
    (lambda m: apply_smoothing(torch.ones(8), [m], torch.ones(7)), "s"),
    (lambda m: apply_smoothing(torch.ones(8), [m], torch.ones(8), norm_bias=torch.ones(7)),
     "norm_bias"),
])
def test_apply_smoothing_bad_inputs_raise_and_modify_nothing(call, arg):
    lin = nn.Linear(8, 3)
    w0 = lin.weight.detach().clone()
    with pytest.raises(ValueError) as info:
        call(lin)
    assert str(info.value).startswith(f"qgemm.apply_smoothing: {arg} ")
    assert torch.equal(lin.weight.detach(), w0)


# ---------------------------------------------------------------------- skip set

def test_is_skipped_matches_whole_trailing_names():
    assert is_skipped("layers.3.self_attn.o_proj", DEFAULT_SKIP)
    assert is_skipped("down_proj", DEFAULT_SKIP)
    assert not is_skipped("layers.3.self_attn.xo_proj", DEFAULT_SKIP)
    assert not is_skipped("layers.3.o_proj.lora", DEFAULT_SKIP)
    assert not is_skipped("layers.3.q_proj", ())


def test_skipped_groups_are_left_alone():
    model = Model(8, seed=5)
    xs = batches(8, 5)
    absmax = collect_activation_absmax(model, xs)
    state0 = {n: t.clone() for n, t in model.state_dict().items()}
    factors = smooth(model, groups_of(model), absmax, skip=("up_proj",) + DEFAULT_SKIP)

    assert set(factors) == {"layers.0.input_layernorm", "layers.1.input_layernorm"}
    state = model.state_dict()
    for name, t in state.items():
        changed = not torch.equal(t, state0[name])
        touched = any(name.startswith(f"layers.{i}.{m}.weight")
                      for i in (0, 1) for m in ("input_layernorm", "q_proj", "k_proj"))
        assert changed == touched, name


class NormThenDown(nn.Module):
    """A norm feeding down_proj directly: a group made only of a skipped layer."""

    def __init__(self, k: int):
        super().__init__()
        self.norm = nn.RMSNorm(k, dtype=F64)
        self.down_proj = nn.Linear(k, k, dtype=F64)

    def forward(self, x):
        return self.down_proj(self.norm(x))


def test_default_skip_leaves_o_proj_and_down_proj_groups_alone():
    model = NormThenDown(8)
    absmax = collect_activation_absmax(model, batches(8, 6))
    state0 = {n: t.clone() for n, t in model.state_dict().items()}
    assert smooth(model, [("norm", ["down_proj"])], absmax) == {}
    assert all(torch.equal(t, state0[n]) for n, t in model.state_dict().items())
    # With an empty skip set the same group is smoothed.
    assert set(smooth(model, [("norm", ["down_proj"])], absmax, skip=())) == {"norm"}


def test_mixed_groups_and_bad_groups_raise_before_anything_changes():
    model = Model(8, seed=7)
    xs = batches(8, 7)
    absmax = collect_activation_absmax(model, xs)
    state0 = {n: t.clone() for n, t in model.state_dict().items()}
    good = groups_of(model)[:1]
    missing = {n: t for n, t in absmax.items() if n != "layers.1.up_proj"}
    cases = [
        (good + [("layers.1.post_attention_layernorm", ["layers.1.up_proj"])], missing,
         "act_absmax"),
        (good + [("layers.1.input_layernorm", ["layers.1.q_proj", "layers.1.o_proj"])], absmax,
         "groups[1]"),                                  # mixes o_proj (skipped) with q_proj
        (good + [("layers.1.nope", ["layers.1.up_proj"])], absmax, "groups[1]"),
        (good + [("layers.1.input_layernorm", ["layers.1.nope"])], absmax, "groups[1]"),
        (good + [("layers.1.input_layernorm", "layers.1.q_proj")], absmax, "groups[1]"),
        (good + good, absmax, "groups[1]"),              # the same norm twice
        (good + [("layers.0.post_attention_layernorm", ["layers.0.q_proj"])], absmax,
         "groups[1]"),                                  # q_proj in two groups
    ]
    for groups, am, arg in cases:
        with pytest.raises(ValueError) as info:
            smooth(model, groups, am)
        assert str(info.value).startswith(f"qgemm.smooth: {arg} "), str(info.value)
        assert all(torch.equal(t, state0[n]) for n, t in model.state_dict().items())
    with pytest.raises(ValueError, match="qgemm.smooth: skip "):
        smooth(model, good, absmax, skip="o_proj")
