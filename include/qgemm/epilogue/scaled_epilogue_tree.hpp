// The W8A8 scale epilogue's tree, written once for every kernel family's visitor kit
// (CUTLASS's sm90 EVT, its 2.x sm80 EVT):
//
//   add(mul(a_scale, mul(b_scale, float(acc - azp * b_colsum))), bias)
//
// in exactly the reference's order (python/qgemm/reference/scaled_mm.py), each float
// step rounded once (rounded_ops.hpp), the azp product and difference in int32.
//
// TokenVec<E> / ChannelVec<E>: the family's per-token (a_scale, azp) and per-channel
// (b_scale, b_colsum, bias) vector nodes; Op<Fn, Out, Compute>: its compute node; EVT:
// its tree node; Acc: its accumulator fetch. kWithAzp: int8 accumulators get the azp
// correction (null azp / b_colsum read as zero, so one tree serves with and without).
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/functional.h>

#include "qgemm/epilogue/rounded_ops.hpp"
#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm::epilogue {

template <template <class> class TokenVec, template <class> class ChannelVec,
          template <template <class> class, class, class> class Op, template <class, class...> class EVT,
          class Acc, class ElementOut, bool kWithAzp>
struct ScaledEpilogueTree {
  using AzpTerm = EVT<Op<cutlass::multiplies, int32_t, int32_t>, TokenVec<int32_t>, ChannelVec<int32_t>>;
  using AccLessAzp = EVT<Op<cutlass::minus, int32_t, int32_t>, Acc, AzpTerm>;
  using AccTerm = cute::conditional_t<kWithAzp, AccLessAzp, Acc>;
  using TimesB = EVT<Op<mul_rn, float, float>, ChannelVec<float>, AccTerm>;
  using TimesAB = EVT<Op<mul_rn, float, float>, TokenVec<float>, TimesB>;
  using Tree = EVT<Op<add_rn, ElementOut, float>, TimesAB, ChannelVec<ElementOut>>;
  using Arguments = typename Tree::Arguments;

  // token(ptr, per_element) and channel(ptr, per_element) make the family's vector
  // arguments: per_element selects one value per token / channel, else ptr[0] serves
  // the whole tensor.
  template <class Token, class Channel>
  static Arguments arguments(const ScaledMmParams& p, Token token, Channel channel) {
    const auto bias = channel(static_cast<const ElementOut*>(p.bias), true);
    const auto b_scale = channel(p.b_scale, p.b_per_channel);
    const auto a_scale = token(p.a_scale, p.a_per_token);
    if constexpr (kWithAzp) {
      const auto azp = token(p.azp, p.azp_per_token);
      const auto colsum = channel(p.azp ? p.b_colsum : nullptr, true);
      return {{a_scale, {b_scale, {{}, {azp, colsum, {}}, {}}, {}}, {}}, bias, {}};
    } else {
      return {{a_scale, {b_scale, {}, {}}, {}}, bias, {}};
    }
  }
};

}  // namespace qgemm::epilogue
