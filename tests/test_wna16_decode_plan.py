"""The k64 decode kernel's work partition, checked on the host (no GPU): the C++ plan
(k64_decode_plan, through the extension's plan string and workspace size) and a replica of
the kernel's segment loop (k64_decode_kernel.cuh) must write every (column group, partial
slot) exactly once, as a partial or a zero, for the split-K reduce to sum."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qgemm import _ext
from qgemm.packed import KIND_INT4, KIND_INT8, KIND_UINT4

pytestmark = pytest.mark.skipif(not _ext.compiled_archs(), reason="extension built without CUDA kernels")


def _plan(kind, m, n, k, sms, forced_splits=0):
    text = _ext.extension().wna16_decode_plan(kind, m, n, k, sms, forced_splits=forced_splits)
    fields = {key: int(value) for key, value in (kv.split("=") for kv in text.split() if "=" in kv)}
    return fields, text


def _segments(groups, blocks, units_per_cta, cta):
    """k64_decode_kernel's stream-K loop for CTA `cta`: (group, first block, end block, slot,
    first zeroed slot or None)."""
    unit = cta * units_per_cta
    end = min(unit + units_per_cta, groups * blocks)
    while unit < end:
        group, b0 = divmod(unit, blocks)
        b1 = min(blocks, b0 + end - unit)
        first_cta = group * blocks // units_per_cta
        zero_from = (group * blocks + blocks - 1) // units_per_cta - first_cta + 1 if b0 == 0 else None
        yield group, b0, b1, cta - first_cta, zero_from
        unit += b1 - b0


def _check_partition(kind, m, n, k, sms):
    p, text = _plan(kind, m, n, k, sms)
    blocks, groups = k // 64, -(-(n // 64) // p["cols"])
    need = p["splits"] * m * n * 4 if p["splits"] > 1 else 0
    assert _ext.extension().wna16_decode_workspace_bytes(m, n, k, sms) >= need, text
    if blocks % 2 == 0:  # cuts on even k64 blocks: a G = 128 group is never cut (the kernel places groups statically)
        assert p["blocks_per_split"] % 2 == 0 and p.get("units_per_cta", 0) % 2 == 0, text
    if "units_per_cta" not in p:
        assert p["ctas"] == groups * p["splits"], text
        return False
    w, ctas, splits = p["units_per_cta"], p["ctas"], p["splits"]
    assert (ctas - 1) * w < groups * blocks <= ctas * w, text  # no empty CTA, every unit
    covered = {g: [] for g in range(groups)}
    written = {g: [] for g in range(groups)}
    for cta in range(ctas):
        for g, b0, b1, slot, zero_from in _segments(groups, blocks, w, cta):
            assert 0 <= slot < splits, text
            covered[g].append((b0, b1))
            written[g].append(slot)
            if zero_from is not None:
                written[g] += list(range(zero_from, splits))
    for g in range(groups):
        spans = sorted(covered[g])
        assert spans[0][0] == 0 and spans[-1][1] == blocks, text
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), f"{text}: group {g} {spans}"
        assert sorted(written[g]) == list(range(splits)), f"{text}: group {g} slots {written[g]}"
    return True


def test_llama3_70b_gate_up_runs_stream_k_on_132_sms():
    # 448 two-column groups on 264 slots (a fraction of a wave over): stream-K; the other
    # layers keep their split grid (one wave of column groups x splits).
    for kind in (KIND_INT4, KIND_UINT4, KIND_INT8):
        for m in (1, 8):
            assert _check_partition(kind, m, 57344, 8192, 132), _plan(kind, m, 57344, 8192, 132)[1]
            for n, k in ((10240, 8192), (8192, 8192), (8192, 28672)):
                assert not _check_partition(kind, m, n, k, 132), _plan(kind, m, n, k, 132)[1]


@given(kind=st.sampled_from([KIND_INT4, KIND_UINT4, KIND_INT8]), m=st.sampled_from([1, 2, 8, 9, 16]),
       n64=st.integers(1, 1200), k64=st.integers(1, 600), sms=st.integers(1, 170))
@settings(max_examples=300, deadline=None)
def test_every_group_and_slot_written_once(kind, m, n64, k64, sms):
    _check_partition(kind, m, 64 * n64, 64 * k64, sms)


def test_forced_splits_cut_on_even_blocks():
    # A forced split count is a request: K = 2048 (32 blocks) asked 5 ways runs 4 splits of
    # 8 blocks, 6 ways 6 (the last of 2), 64 ways 16 of 2; a forced plan is never stream-K.
    for asked, splits, per in ((5, 4, 8), (6, 6, 6), (64, 16, 2), (2, 2, 16)):
        p, text = _plan(KIND_INT4, 1, 192, 2048, 132, forced_splits=asked)
        assert (p["splits"], p["blocks_per_split"]) == (splits, per), (asked, text)
        assert "units_per_cta" not in p


def test_stream_k_shapes_are_exercised():
    # The sweep above must reach the stream-K branch; these shapes do (two-column groups at
    # one token block, four-column ones at two, past the slots of a few SMs).
    assert _check_partition(KIND_INT4, 1, 64 * 13, 1024, 3)
    assert _check_partition(KIND_INT8, 12, 64 * 26, 2048, 4)
    assert _check_partition(KIND_UINT4, 5, 64 * 9, 640, 2)
