// Elementwise float multiply and add for the W8A8 scale epilogues (sm80 and sm90 visitor
// trees): each product and sum rounded once with __fmul_rn / __fadd_rn, so that nvcc
// cannot contract a multiply and an add into an FMA. With these an int8 GEMM's output
// is bit-identical to the float32 reference (python/qgemm/reference/scaled_mm.py).
#pragma once

#include <cutlass/array.h>
#include <cutlass/cutlass.h>

namespace qgemm::epilogue {

// a * b and a + b rounded once each, never fused into an FMA.
template <class T>
struct mul_rn {
  CUTLASS_HOST_DEVICE T operator()(T a, T b) const { return a * b; }
};
template <int N>
struct mul_rn<cutlass::Array<float, N>> {
  CUTLASS_DEVICE cutlass::Array<float, N> operator()(cutlass::Array<float, N> const& a,
                                                     cutlass::Array<float, N> const& b) const {
    cutlass::Array<float, N> r;
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < N; ++i) r[i] = __fmul_rn(a[i], b[i]);
    return r;
  }
};
template <class T>
struct add_rn {
  CUTLASS_HOST_DEVICE T operator()(T a, T b) const { return a + b; }
};
template <int N>
struct add_rn<cutlass::Array<float, N>> {
  CUTLASS_DEVICE cutlass::Array<float, N> operator()(cutlass::Array<float, N> const& a,
                                                     cutlass::Array<float, N> const& b) const {
    cutlass::Array<float, N> r;
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < N; ++i) r[i] = __fadd_rn(a[i], b[i]);
    return r;
  }
};

}  // namespace qgemm::epilogue
