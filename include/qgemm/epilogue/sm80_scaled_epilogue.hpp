// The W8A8 scale epilogue as a CUTLASS 2.x epilogue visitor tree (the sm80 EVT, used by
// the mma.sync kernels of gemm/sm80_scaled_mm.cuh): the tree of
// epilogue/scaled_epilogue_tree.hpp (an int8 GEMM bit-identical to the float32
// reference) and a store of out [M, N], row-major with row stride ldo.
//
// The vectors (epilogue/sm80_broadcast.hpp) take their layout at run time: per token /
// per channel, or one value for the whole tensor. Null pointers (bias, azp, b_colsum)
// read as zero and cost no loads, so one int8 tree serves with and without azp.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/functional.h>
#include <cutlass/gemm/gemm.h>
#include <cutlass/numeric_conversion.h>
#include <cutlass/epilogue/threadblock/fusion/visitors.hpp>

#include "qgemm/epilogue/scaled_epilogue_tree.hpp"
#include "qgemm/epilogue/sm80_broadcast.hpp"
#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm::epilogue {

// ThreadMap: cutlass::epilogue::threadblock::OutputTileThreadLayout of the kernel's tiles.
// kWithAzp: the int32 accumulator gets the azp correction (int8 operands).
template <class ThreadMap, class ElementOut, bool kWithAzp>
struct Sm80ScaledEpilogue {
  template <class E>
  using TokenVec = VisitorColOrScalar<ThreadMap, E>;
  template <class E>
  using ChannelVec = VisitorRowOrScalar<ThreadMap, E>;
  template <template <class> class Fn, class Out, class Compute>
  using Op = cutlass::epilogue::threadblock::VisitorCompute<Fn, Out, Compute,
                                                            cutlass::FloatRoundStyle::round_to_nearest>;

  using Scaled = ScaledEpilogueTree<TokenVec, ChannelVec, Op, cutlass::epilogue::threadblock::Sm80EVT,
                                    cutlass::epilogue::threadblock::VisitorAccFetch, ElementOut, kWithAzp>;
  using Store = cutlass::epilogue::threadblock::VisitorAuxStore<
      ThreadMap, ElementOut, cutlass::FloatRoundStyle::round_to_nearest,
      cute::Stride<int64_t, cute::_1, int64_t>>;
  using Tree = cutlass::epilogue::threadblock::Sm80EVT<Store, typename Scaled::Tree>;
  using Arguments = typename Tree::Arguments;

  static Arguments arguments(const ScaledMmParams& p) {
    auto vector = [](auto ptr, bool per_element) {
      using E = cute::remove_cvref_t<decltype(*ptr)>;
      return typename Sm80VectorVisitor<E>::Arguments{ptr, per_element};
    };
    const typename Store::Arguments out{static_cast<ElementOut*>(p.out), {p.ldo, cute::_1{}, int64_t(0)}};
    return {Scaled::arguments(p, vector, vector), out};
  }
};

}  // namespace qgemm::epilogue
