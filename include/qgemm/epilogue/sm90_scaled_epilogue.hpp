// The W8A8 scale epilogue as a CUTLASS sm90 epilogue visitor tree (EVT): the tree of
// epilogue/scaled_epilogue_tree.hpp,
//
//   out = add(mul(a_scale, mul(b_scale, float(acc - azp * b_colsum))), bias)
//
// evaluated in exactly the reference's order (python/qgemm/reference/scaled_mm.py),
// each step rounded once with __fmul_rn / __fadd_rn so nvcc cannot contract them into
// an FMA: an int8 GEMM is then bit-identical to the reference. The azp product and
// difference run in int32 (exact while |acc| < 2^31).
//
// The vectors carry a runtime flag (CUTLASS's dynamic broadcast): per token / per
// channel, or one value for the whole tensor. Null pointers (bias, azp, b_colsum) read
// as zero and cost no loads.
//
// kSwapAB: the kernel computes D = out^T (problem N x M x K, weights as the wgmma A
// operand) so that small token counts fill the 64-row wgmma tile with weight rows; the
// per-token vectors then broadcast along D's columns instead of its rows.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/epilogue/fusion/sm90_callbacks_tma_warpspecialized.hpp>
#include <cutlass/epilogue/fusion/sm90_visitor_compute_tma_warpspecialized.hpp>
#include <cutlass/epilogue/fusion/sm90_visitor_load_tma_warpspecialized.hpp>
#include <cutlass/functional.h>

#include "qgemm/epilogue/scaled_epilogue_tree.hpp"
#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm::epilogue {

template <class ElementOut, class TileShape, bool kSwapAB, bool kWithAzp>
struct Sm90ScaledEpilogue {
  template <class E>
  using RowVec = cutlass::epilogue::fusion::Sm90RowBroadcast<0, TileShape, E, E,
                                                              cute::Stride<cute::_0, bool, cute::_0>>;
  template <class E>
  using ColVec = cutlass::epilogue::fusion::Sm90ColBroadcast<0, TileShape, E, E,
                                                              cute::Stride<bool, cute::_0, cute::_0>>;
  // One value per token (a_scale, azp) and one per output channel (b_scale, colsum, bias).
  template <class E>
  using TokenVec = cute::conditional_t<kSwapAB, RowVec<E>, ColVec<E>>;
  template <class E>
  using ChannelVec = cute::conditional_t<kSwapAB, ColVec<E>, RowVec<E>>;

  template <template <class> class Fn, class Out, class Compute>
  using Op = cutlass::epilogue::fusion::Sm90Compute<Fn, Out, Compute,
                                                    cutlass::FloatRoundStyle::round_to_nearest>;

  using Scaled = ScaledEpilogueTree<TokenVec, ChannelVec, Op, cutlass::epilogue::fusion::Sm90EVT,
                                    cutlass::epilogue::fusion::Sm90AccFetch, ElementOut, kWithAzp>;
  using Tree = typename Scaled::Tree;
  using Arguments = typename Tree::Arguments;

  static Arguments arguments(const ScaledMmParams& p) {
    return Scaled::arguments(
        p, [](auto ptr, bool per_element) { return token(ptr, per_element); },
        [](auto ptr, bool per_element) { return channel(ptr, per_element); });
  }

 private:
  // Broadcast arguments: `per_element` selects a vector along the axis, otherwise the
  // one value ptr[0] serves the whole tensor.
  template <class E>
  static typename RowVec<E>::Arguments row(const E* ptr, bool per_element) {
    return {ptr, E(0), {cute::_0{}, per_element, cute::_0{}}};
  }
  template <class E>
  static typename ColVec<E>::Arguments col(const E* ptr, bool per_element) {
    return {ptr, E(0), {per_element, cute::_0{}, cute::_0{}}};
  }
  template <class E>
  static auto token(const E* ptr, bool per_element) {
    if constexpr (kSwapAB) return row(ptr, per_element); else return col(ptr, per_element);
  }
  template <class E>
  static auto channel(const E* ptr, bool per_element) {
    if constexpr (kSwapAB) return col(ptr, per_element); else return row(ptr, per_element);
  }
};

}  // namespace qgemm::epilogue
