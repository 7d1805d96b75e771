"""Checkpoint formats (AWQ, GPTQ, HQQ, plain) <-> QuantizedWeight.

Each layout is read here a second time, element by element with explicit loops on
small shapes, straight from its description in the format's docs; the importers must
agree. Then the round trips: import(export(qw)) == qw and export(import(ckpt)) ==
ckpt, bit for bit.
"""
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from qgemm.formats import (
    export_awq, export_gptq, export_hqq, export_plain,
    import_awq, import_gptq, import_hqq, import_plain,
)
from qgemm.quantized import QuantizedWeight

GROUP_SIZES = [32, 64, 128, -1]


# --- random inputs -----------------------------------------------------------------


def random_words(shape, gen) -> torch.Tensor:
    """int32 words with every bit pattern possible (all nibbles are valid codes)."""
    as_bytes = torch.randint(0, 256, (*shape, 4), generator=gen, dtype=torch.uint8)
    return as_bytes.view(torch.int32)[..., 0]


def random_bytes(shape, gen) -> torch.Tensor:
    return torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)


def random_floats(shape, dtype, gen) -> torch.Tensor:
    return (torch.randn(shape, generator=gen) * 4).to(dtype)


def random_qw(scheme, n, k, g, gen, *, zeros="int", scale_dtype=torch.float16, act_order=False):
    """A QuantizedWeight with random codes, scales and zeros (and perm)."""
    groups = k // g
    if scheme == "int4":
        qdata = torch.randint(-8, 8, (n, k), generator=gen, dtype=torch.int8)
    else:
        qdata = torch.randint(0, 16, (n, k), generator=gen, dtype=torch.uint8)
    scales = random_floats((n, groups), scale_dtype, gen)
    z = None
    if scheme == "uint4":
        if zeros == "int":
            z = torch.randint(0, 16, (n, groups), generator=gen, dtype=torch.uint8)
        else:
            z = random_floats((n, groups), scale_dtype, gen)
    perm = None
    if act_order:
        g_idx = (torch.arange(k) // g)[torch.randperm(k, generator=gen)]
        perm = torch.argsort(g_idx, stable=True)
    return QuantizedWeight(scheme, g, qdata, scales, z, perm)


def assert_same_qw(a: QuantizedWeight, b: QuantizedWeight):
    assert (a.scheme, a.group_size) == (b.scheme, b.group_size)
    assert a.qdata.dtype == b.qdata.dtype and torch.equal(a.qdata, b.qdata)
    assert_bitwise(a.scales, b.scales)
    assert (a.zeros is None) == (b.zeros is None)
    if a.zeros is not None:
        assert_bitwise(a.zeros, b.zeros)
    assert (a.perm is None) == (b.perm is None)
    if a.perm is not None:
        assert torch.equal(a.perm, b.perm)


def assert_bitwise(a: torch.Tensor, b: torch.Tensor):
    assert a.dtype == b.dtype and a.shape == b.shape
    if a.dtype.is_floating_point:
        bits = {2: torch.int16, 4: torch.int32}[a.element_size()]
        a, b = a.view(bits), b.view(bits)
    assert torch.equal(a, b)


# --- reference readers: explicit loops over words and nibbles -----------------------


def nibble(word: int, i: int) -> int:
    return (word >> (4 * i)) & 0xF


def ref_read_awq(qweight, qzeros, scales, g):
    """AutoAWQ GEMM: qweight [K, N/8]; nibble i of word (k, c) is column 8c + order[i]."""
    order = [0, 2, 4, 6, 1, 3, 5, 7]
    k, n = qweight.shape[0], qweight.shape[1] * 8
    codes = [[0] * k for _ in range(n)]
    for kk, row in enumerate(qweight.tolist()):
        for c, word in enumerate(row):
            for i in range(8):
                codes[8 * c + order[i]][kk] = nibble(word, i)
    zeros = [[0] * (k // g) for _ in range(n)]
    for gi, row in enumerate(qzeros.tolist()):
        for c, word in enumerate(row):
            for i in range(8):
                zeros[8 * c + order[i]][gi] = nibble(word, i)
    return codes, zeros, scales.t().tolist()


def ref_read_gptq(qweight, qzeros, scales, legacy):
    """GPTQ: qweight [K/8, N], k = 8r + j at bits 4j of row r; qzeros nibble j of
    word c is column 8c + j, holding z - 1 (mod 16) in legacy checkpoints."""
    k, n = qweight.shape[0] * 8, qweight.shape[1]
    codes = [[0] * k for _ in range(n)]
    for r, row in enumerate(qweight.tolist()):
        for col, word in enumerate(row):
            for j in range(8):
                codes[col][8 * r + j] = nibble(word, j)
    groups = qzeros.shape[0]
    zeros = [[0] * groups for _ in range(n)]
    for gi, row in enumerate(qzeros.tolist()):
        for c, word in enumerate(row):
            for j in range(8):
                stored = nibble(word, j)
                zeros[8 * c + j][gi] = (stored + 1) % 16 if legacy else stored
    return codes, zeros, scales.t().tolist()


def ref_read_hqq(W_q, meta):
    """HQQ axis=1: codes viewed as [N*K/g, g]; packed row r holds row r in its high
    nibble and row r + rows/2 in its low nibble. Scale and zero per row."""
    n, k = meta["shape"]
    g = meta["group_size"]
    half = W_q.shape[0]
    rows = [None] * (2 * half)
    for r, packed in enumerate(W_q.tolist()):
        rows[r] = [b >> 4 for b in packed]
        rows[r + half] = [b & 0xF for b in packed]
    codes = [[rows[(nn * k + kk) // g][(nn * k + kk) % g] for kk in range(k)] for nn in range(n)]
    per_group = [[nn * (k // g) + gi for gi in range(k // g)] for nn in range(n)]
    scale = [[meta["scale"][row, 0].item() for row in rows_of_n] for rows_of_n in per_group]
    zero = [[meta["zero"][row, 0].item() for row in rows_of_n] for rows_of_n in per_group]
    return codes, zero, scale


def ref_read_plain(packed, signed):
    """pack_2xint4: packed [K/2, N]; byte (i, n) holds k = 2i low, k = 2i + 1 high."""
    half, n = packed.shape
    codes = [[0] * (2 * half) for _ in range(n)]
    for i, row in enumerate(packed.tolist()):
        for nn, b in enumerate(row):
            for kk, v in ((2 * i, b & 0xF), (2 * i + 1, b >> 4)):
                codes[nn][kk] = v - 16 if signed and v >= 8 else v
    return codes


def ref_dequantize(codes, zeros, scales, group_of):
    """w[n][k] = (q - z) * s with the group of input channel k (float64)."""
    return torch.tensor(
        [[(q - zeros[nn][group_of[kk]]) * scales[nn][group_of[kk]]
          for kk, q in enumerate(row)] for nn, row in enumerate(codes)],
        dtype=torch.float64,
    )


def assert_dequantizes_to(qw, want):
    assert torch.allclose(qw.dequantize().double(), want, rtol=1e-6, atol=0)


# --- reference readers agree with the importers --------------------------------------


@pytest.mark.parametrize("group_size", [32, -1])
def test_awq_import_matches_reference_reader(group_size):
    gen = torch.Generator().manual_seed(1)
    n, k = 16, 64
    g = k if group_size == -1 else group_size
    qweight = random_words((k, n // 8), gen)
    qzeros = random_words((k // g, n // 8), gen)
    scales = random_floats((k // g, n), torch.float16, gen)
    qw = import_awq(qweight, qzeros, scales, group_size)
    codes, zeros, s = ref_read_awq(qweight, qzeros, scales, g)
    assert qw.scheme == "uint4" and qw.group_size == g and qw.perm is None
    assert qw.qdata.tolist() == codes and qw.zeros.tolist() == zeros
    assert qw.scales.tolist() == s
    assert_dequantizes_to(qw, ref_dequantize(codes, zeros, s, [kk // g for kk in range(k)]))


@pytest.mark.parametrize("checkpoint_format", ["gptq", "gptq_v2"])
@pytest.mark.parametrize("act_order", [False, True])
def test_gptq_import_matches_reference_reader(checkpoint_format, act_order):
    gen = torch.Generator().manual_seed(2)
    n, k, g = 16, 96, 32
    qweight = random_words((k // 8, n), gen)
    qzeros = random_words((k // g, n // 8), gen)
    scales = random_floats((k // g, n), torch.float16, gen)
    group_of = torch.arange(k) // g
    if act_order:
        group_of = group_of[torch.randperm(k, generator=gen)]
    g_idx = group_of.to(torch.int32)
    qw = import_gptq(qweight, qzeros, scales, g, g_idx, checkpoint_format=checkpoint_format)

    codes, zeros, s = ref_read_gptq(qweight, qzeros, scales, legacy=checkpoint_format == "gptq")
    assert qw.zeros.tolist() == zeros and qw.scales.tolist() == s
    if act_order:
        # Column j of qdata is input channel perm[j]; groups are contiguous runs.
        perm = qw.perm.tolist()
        assert sorted(perm) == list(range(k))
        assert [group_of[p].item() for p in perm] == [j // g for j in range(k)]
        assert qw.qdata.tolist() == [[row[p] for p in perm] for row in codes]
    else:
        assert qw.perm is None and qw.qdata.tolist() == codes
    assert_dequantizes_to(qw, ref_dequantize(codes, zeros, s, group_of.tolist()))


def test_hqq_import_matches_reference_reader():
    gen = torch.Generator().manual_seed(3)
    n, k, g = 6, 128, 64
    rows = n * k // g
    W_q = random_bytes((rows // 2, g), gen)
    meta = dict(shape=torch.Size([n, k]), group_size=g, axis=1, nbits=4, packing="4bit_u8",
                scale=random_floats((rows, 1), torch.float16, gen),
                zero=random_floats((rows, 1), torch.float16, gen))
    qw = import_hqq(W_q, meta)
    codes, zero, scale = ref_read_hqq(W_q, meta)
    assert qw.scheme == "uint4" and qw.zeros.dtype == torch.float16
    assert qw.qdata.tolist() == codes and qw.zeros.tolist() == zero and qw.scales.tolist() == scale
    assert_dequantizes_to(qw, ref_dequantize(codes, zero, scale, [kk // g for kk in range(k)]))


@pytest.mark.parametrize("scheme", ["int4", "uint4"])
def test_plain_import_matches_reference_reader(scheme):
    gen = torch.Generator().manual_seed(4)
    n, k, g = 5, 64, 32
    packed = random_bytes((k // 2, n), gen)
    scales = random_floats((n, k // g), torch.bfloat16, gen)
    zeros = torch.randint(0, 16, (n, k // g), generator=gen, dtype=torch.uint8)
    zeros = zeros if scheme == "uint4" else None
    qw = import_plain(packed, scales, zeros, scheme=scheme, group_size=g)
    codes = ref_read_plain(packed, signed=scheme == "int4")
    assert qw.qdata.tolist() == codes
    z = zeros.tolist() if zeros is not None else [[0] * (k // g)] * n
    group_of = [kk // g for kk in range(k)]
    assert_dequantizes_to(qw, ref_dequantize(codes, z, scales.tolist(), group_of))


# --- round trips ---------------------------------------------------------------------

shapes = dict(
    n8=st.integers(1, 3),  # N = 8 * n8
    groups=st.integers(1, 3),
    group_size=st.sampled_from(GROUP_SIZES),
    seed=st.integers(0, 2**31 - 1),
)


def dims(n8, groups, group_size):
    """N, K and the effective group size; per-channel K is any multiple of 8."""
    k = 8 * (5 * groups) if group_size == -1 else group_size * groups
    return 8 * n8, k, (k if group_size == -1 else group_size)


@given(scale_dtype=st.sampled_from([torch.float16, torch.bfloat16]), **shapes)
def test_awq_roundtrips(n8, groups, group_size, seed, scale_dtype):
    gen = torch.Generator().manual_seed(seed)
    n, k, g = dims(n8, groups, group_size)
    qw = random_qw("uint4", n, k, g, gen, scale_dtype=scale_dtype)
    assert_same_qw(import_awq(*export_awq(qw), group_size), qw)

    ckpt = (random_words((k, n // 8), gen), random_words((k // g, n // 8), gen),
            random_floats((k // g, n), scale_dtype, gen))
    for got, want in zip(export_awq(import_awq(*ckpt, group_size)), ckpt):
        assert_bitwise(got, want)


@given(checkpoint_format=st.sampled_from(["gptq", "gptq_v2"]), act_order=st.booleans(),
       pass_g_idx=st.booleans(), **shapes)
# Act-order with a single group: the perm is the identity, which QuantizedWeight keeps as None.
@example(n8=1, groups=1, group_size=32, seed=0, checkpoint_format="gptq", act_order=True,
         pass_g_idx=False)
def test_gptq_roundtrips(n8, groups, group_size, seed, checkpoint_format, act_order, pass_g_idx):
    gen = torch.Generator().manual_seed(seed)
    n, k, g = dims(n8, groups, group_size)
    qw = random_qw("uint4", n, k, g, gen, act_order=act_order)
    qweight, qzeros, scales, g_idx = export_gptq(qw, checkpoint_format=checkpoint_format)
    assert g_idx.dtype == torch.int32
    if qw.perm is None:
        assert torch.equal(g_idx, (torch.arange(k) // g).to(torch.int32))
        g_idx = g_idx if pass_g_idx else None
    back = import_gptq(qweight, qzeros, scales, group_size, g_idx,
                       checkpoint_format=checkpoint_format)
    assert_same_qw(back, qw)

    group_of = torch.arange(k) // g
    if act_order:
        group_of = group_of[torch.randperm(k, generator=gen)]
    ckpt = (random_words((k // 8, n), gen), random_words((k // g, n // 8), gen),
            random_floats((k // g, n), torch.float16, gen), group_of.to(torch.int32))
    qw = import_gptq(*ckpt[:3], group_size, ckpt[3], checkpoint_format=checkpoint_format)
    for got, want in zip(export_gptq(qw, checkpoint_format=checkpoint_format), ckpt):
        assert_bitwise(got, want)


def test_gptq_legacy_zeros_are_stored_minus_one_and_zero_wraps():
    gen = torch.Generator().manual_seed(5)
    qw = random_qw("uint4", 8, 64, 32, gen)
    qw.zeros[0, :] = torch.tensor([0, 15], dtype=torch.uint8)
    _, v1, _, _ = export_gptq(qw, checkpoint_format="gptq")
    _, v2, _, _ = export_gptq(qw, checkpoint_format="gptq_v2")
    for word1, word2 in zip(v1.flatten().tolist(), v2.flatten().tolist()):
        for j in range(8):
            assert nibble(word1, j) == (nibble(word2, j) - 1) % 16
    assert nibble(v1[0, 0].item(), 0) == 15 and nibble(v1[1, 0].item(), 0) == 14  # z = 0, 15
    # A legacy checkpoint read as v2 sees every zero one lower (mod 16).
    as_v2 = import_gptq(*export_gptq(qw)[:3], 32, checkpoint_format="gptq_v2")
    assert torch.equal(as_v2.zeros, (qw.zeros - 1) & 0xF)


@given(scale_dtype=st.sampled_from([torch.float16, torch.bfloat16, torch.float32]), **shapes)
def test_hqq_roundtrips(n8, groups, group_size, seed, scale_dtype):
    gen = torch.Generator().manual_seed(seed)
    n, k, g = dims(n8, groups, group_size)
    qw = random_qw("uint4", n, k, g, gen, zeros="float", scale_dtype=scale_dtype)
    assert_same_qw(import_hqq(*export_hqq(qw)), qw)

    rows = n * k // g
    W_q = random_bytes((rows // 2, g), gen)
    meta = dict(shape=torch.Size([n, k]), group_size=g, axis=1, nbits=4, packing="4bit_u8",
                scale=random_floats((rows, 1), scale_dtype, gen),
                zero=random_floats((rows, 1), scale_dtype, gen))
    W_q2, meta2 = export_hqq(import_hqq(W_q, meta))
    assert_bitwise(W_q2, W_q)
    assert meta2.keys() == meta.keys()
    for key in ("shape", "group_size", "axis", "nbits", "packing"):
        assert meta2[key] == meta[key]
    assert_bitwise(meta2["scale"], meta["scale"])
    assert_bitwise(meta2["zero"], meta["zero"])


def test_hqq_per_channel_group_size_none_and_no_packing_key():
    gen = torch.Generator().manual_seed(6)
    n, k = 4, 48
    W_q = random_bytes((n // 2, k), gen)
    meta = dict(shape=(n, k), group_size=None, axis=1, nbits=4,
                scale=random_floats((n, 1), torch.float16, gen),
                zero=random_floats((n, 1), torch.float16, gen))
    qw = import_hqq(W_q, meta)
    assert qw.per_channel and qw.group_size == k
    assert_bitwise(export_hqq(qw)[0], W_q)


@given(scheme_zeros=st.sampled_from([("int4", None), ("uint4", "int"), ("uint4", "float")]),
       scale_dtype=st.sampled_from([torch.float16, torch.bfloat16, torch.float32]), **shapes)
def test_plain_roundtrips(n8, groups, group_size, seed, scheme_zeros, scale_dtype):
    gen = torch.Generator().manual_seed(seed)
    scheme, zeros = scheme_zeros
    n, k, g = dims(n8, groups, group_size)
    n = n - 3  # N needs no alignment here
    qw = random_qw(scheme, n, k, g, gen, zeros=zeros, scale_dtype=scale_dtype)
    packed, scales, z = export_plain(qw)
    assert packed.dtype == torch.uint8 and packed.shape == (k // 2, n)
    assert_same_qw(import_plain(packed, scales, z, scheme=scheme, group_size=group_size), qw)

    ckpt_packed = random_bytes((k // 2, n), gen)
    ckpt = import_plain(ckpt_packed, scales, z, scheme=scheme, group_size=group_size)
    assert_bitwise(export_plain(ckpt)[0], ckpt_packed)


# --- bad inputs ----------------------------------------------------------------------


def awq_args(**change):
    gen = torch.Generator().manual_seed(7)
    args = dict(qweight=random_words((64, 2), gen), qzeros=random_words((2, 2), gen),
                scales=random_floats((2, 16), torch.float16, gen), group_size=32)
    args.update(change)
    return args


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(qweight=torch.zeros(64, 2, dtype=torch.int64)), "qweight.*dtype"),
        (dict(qweight=torch.zeros(2, 64, dtype=torch.int32).t()), "qweight.*contiguous"),
        (dict(qweight=torch.zeros(0, 2, dtype=torch.int32)), "qweight.*non-empty"),
        (dict(qzeros=torch.zeros(2, 3, dtype=torch.int32)), "qzeros.*shape"),
        (dict(scales=torch.ones(2, 16)), "scales.*dtype"),
        (dict(scales=torch.ones(16, 2, dtype=torch.float16).t()), "scales.*contiguous"),
        (dict(group_size=16), "group_size"),
        (dict(qweight=torch.zeros(96, 2, dtype=torch.int32), group_size=64), "group_size.*divide"),
    ],
)
def test_import_awq_refuses_bad_inputs(change, match):
    with pytest.raises(ValueError, match=match):
        import_awq(**awq_args(**change))


def gptq_args(**change):
    gen = torch.Generator().manual_seed(8)
    args = dict(qweight=random_words((8, 16), gen), qzeros=random_words((2, 2), gen),
                scales=random_floats((2, 16), torch.float16, gen), group_size=32,
                g_idx=(torch.arange(64) // 32).to(torch.int32))
    args.update(change)
    return args


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(qweight=torch.zeros(8, 12, dtype=torch.int32)), "qweight.*multiple of 8"),
        (dict(qzeros=torch.zeros(2, 16, dtype=torch.int32)), "qzeros.*shape"),
        (dict(g_idx=torch.zeros(64, dtype=torch.int64)), "g_idx.*dtype"),
        (dict(g_idx=torch.zeros(64, dtype=torch.int32)), "g_idx.*exactly group_size"),
        (dict(g_idx=torch.full((64,), 2, dtype=torch.int32)), "g_idx.*lie in"),
        (dict(g_idx=torch.zeros(32, dtype=torch.int32)), "g_idx.*shape"),
        (dict(checkpoint_format="gptq_v3"), "checkpoint_format"),
        (dict(group_size=48), "group_size"),
    ],
)
def test_import_gptq_refuses_bad_inputs(change, match):
    with pytest.raises(ValueError, match=match):
        import_gptq(**gptq_args(**change))


def hqq_args(**change):
    gen = torch.Generator().manual_seed(9)
    meta = dict(shape=(4, 64), group_size=32, axis=1, nbits=4, packing="4bit_u8",
                scale=torch.ones(8, 1, dtype=torch.float16),
                zero=torch.zeros(8, 1, dtype=torch.float16))
    meta.update(change)
    return random_bytes((4, 32), gen), meta


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(axis=0), r"axis.*must be 1.*across output channels"),
        (dict(nbits=2), "nbits"),
        (dict(packing="2bit_u8"), "packing"),
        (dict(shape=(4,)), "shape"),
        (dict(shape=(3, 32)), "shape.*even"),
        (dict(shape=(4, 80)), "group_size.*divide"),
        (dict(group_size=16), "group_size"),
        (dict(scale=torch.ones(8, 1, dtype=torch.float64)), "scale.*dtype"),
        (dict(zero=torch.zeros(8, 1, dtype=torch.float32)), "zero.*dtype"),
        (dict(zero=torch.zeros(4, 1, dtype=torch.float16)), "zero.*shape"),
        (dict(shape=(8, 64)), "W_q.*shape"),
    ],
)
def test_import_hqq_refuses_bad_inputs(change, match):
    W_q, meta = hqq_args(**change)
    with pytest.raises(ValueError, match=match):
        import_hqq(W_q, meta)


def test_import_hqq_refuses_missing_keys_and_bad_W_q():
    W_q, meta = hqq_args()
    del meta["zero"]
    with pytest.raises(ValueError, match="meta.*'zero'"):
        import_hqq(W_q, meta)
    W_q, meta = hqq_args()
    with pytest.raises(ValueError, match="W_q.*dtype"):
        import_hqq(W_q.to(torch.int8), meta)
    with pytest.raises(ValueError, match="W_q.*contiguous"):
        import_hqq(W_q.t().contiguous().t(), meta)


def test_import_plain_refuses_bad_inputs():
    packed = torch.zeros(32, 4, dtype=torch.uint8)
    scales = torch.ones(4, 2, dtype=torch.float16)
    zeros = torch.zeros(4, 2, dtype=torch.uint8)
    with pytest.raises(ValueError, match="scheme"):
        import_plain(packed, scales, zeros, scheme="int8", group_size=32)
    with pytest.raises(ValueError, match="zeros.*None"):
        import_plain(packed, scales, zeros, scheme="int4", group_size=32)
    with pytest.raises(ValueError, match="zeros.*given"):
        import_plain(packed, scales, scheme="uint4", group_size=32)
    with pytest.raises(ValueError, match="packed.*dtype"):
        import_plain(packed.to(torch.int8), scales, zeros, group_size=32)
    with pytest.raises(ValueError, match="scales.*shape"):
        import_plain(packed, scales, zeros, group_size=64)


@pytest.mark.parametrize(
    "export, qw_args, match",
    [
        (export_awq, ("int4", 8, 64, 32), "qw.scheme"),
        (export_awq, ("uint4", 8, 64, 32, dict(zeros="float")), "qw.zeros"),
        (export_awq, ("uint4", 8, 64, 32, dict(act_order=True)), "qw.perm"),
        (export_awq, ("uint4", 8, 64, 32, dict(scale_dtype=torch.float32)), "qw.scales"),
        (export_awq, ("uint4", 4, 64, 32), "qw.qdata.*multiple of 8"),
        (export_gptq, ("uint4", 8, 64, 32, dict(zeros="float")), "qw.zeros"),
        (export_gptq, ("uint4", 8, 20, 20), "qw.qdata.*multiple of 8"),
        (export_hqq, ("uint4", 8, 64, 32), "qw.zeros.*float"),
        (export_hqq, ("uint4", 1, 32, 32, dict(zeros="float")), "even number of groups"),
        (export_hqq, ("uint4", 8, 64, 32, dict(zeros="float", act_order=True)), "qw.perm"),
        (export_plain, ("uint4", 8, 64, 32, dict(act_order=True)), "qw.perm"),
        (export_plain, ("int4", 8, 5, 5), "qw.qdata.*multiple of 2"),
    ],
)
def test_exporters_refuse_weights_their_format_cannot_hold(export, qw_args, match):
    gen = torch.Generator().manual_seed(10)
    kwargs = qw_args[4] if len(qw_args) > 4 else {}
    qw = random_qw(*qw_args[:4], gen, **kwargs)
    with pytest.raises(ValueError, match=match):
        export(qw)


def test_exporters_refuse_other_objects():
    with pytest.raises(ValueError, match="qw.*QuantizedWeight"):
        export_awq("not a weight")
