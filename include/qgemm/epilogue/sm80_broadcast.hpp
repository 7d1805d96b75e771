// Vector operands of a CUTLASS 2.x epilogue visitor tree (the sm80 EVT) whose layout
// is chosen at run time: one value per output row (token) or per output column
// (channel), or one value for the whole tensor.
//
//   value(m, n) = ptr[stride * m]   (ColOrScalar)     stride = per_element ? 1 : 0
//   value(m, n) = ptr[stride * n]   (RowOrScalar)     null ptr: 0, and no loads
//
// Each thread loads its elements once per tile (begin_epilogue), one element per load,
// so the vectors need only their element alignment (a float scale or half bias sliced
// out of a larger tensor is fine). A per-tensor value costs one load per thread.
//
// ThreadMap is the epilogue's OutputTileThreadLayout; the element indices follow
// CUTLASS's VisitorRowBroadcast / VisitorColBroadcast, so `visit` hands out the same
// fragments those would.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/gemm/gemm.h>
#include <cutlass/numeric_conversion.h>
// (after the two above: the fusion headers are not self-contained)
#include <cutlass/epilogue/threadblock/fusion/visitor_2x.hpp>

namespace qgemm::epilogue {

// Shared by both: arguments, parameters, the (empty) host-side hooks and the pointer
// to the parameters that the callbacks read.
template <class Element>
struct Sm80VectorVisitor {
  struct Arguments {
    const Element* ptr = nullptr;  // null: every value is 0
    bool per_element = true;       // false: ptr[0] serves the whole tensor
  };
  using Params = Arguments;
  struct SharedStorage {};

  template <class ProblemShape>
  static constexpr Params to_underlying_arguments(ProblemShape const&, Arguments const& args, void*) {
    return args;
  }
  template <class ProblemShape>
  static size_t get_workspace_size(ProblemShape const&, Arguments const&) {
    return 0;
  }

  CUTLASS_HOST_DEVICE Sm80VectorVisitor() {}
  CUTLASS_HOST_DEVICE Sm80VectorVisitor(Params const& params, SharedStorage const&) : params_ptr(&params) {}

  Params const* params_ptr = nullptr;
};

// The callbacks state both visitors share: this thread's coordinates c and registers r
// (same shape), filled once per tile (begin_epilogue) with the value at coordinate mode
// kAxis (0: row m, 1: column n) while below `extent`, else 0. The visitors add `visit`.
template <int kAxis, class Element, class CTensor, class RTensor>
struct VectorCallbacks : cutlass::epilogue::threadblock::EmptyCallbacks {
  using Params = typename Sm80VectorVisitor<Element>::Params;
  CUTLASS_DEVICE VectorCallbacks(CTensor&& c_, RTensor&& r_, Params const* params, int extent_)
      : c(cute::forward<CTensor>(c_)), r(cute::forward<RTensor>(r_)), params_ptr(params), extent(extent_) {}

  CTensor c;
  RTensor r;
  Params const* params_ptr;
  int extent;

  CUTLASS_DEVICE void begin_epilogue() {
    const Element* ptr = params_ptr->ptr;
    if (ptr == nullptr) {
      cute::fill(r, Element(0));
    } else if (!params_ptr->per_element) {
      cute::fill(r, ptr[0]);
    } else {
      CUTLASS_PRAGMA_UNROLL
      for (int i = 0; i < cute::size(r); ++i) {
        const int idx = cute::get<kAxis>(c(i));
        r(i) = idx < extent ? ptr[idx] : Element(0);
      }
    }
  }
};

// One value per output column n (per channel): b_scale, b_colsum, bias.
template <class ThreadMap, class Element>
struct VisitorRowOrScalar : Sm80VectorVisitor<Element> {
  using Base = Sm80VectorVisitor<Element>;
  using typename Base::Params;
  using Base::Base;
  using Base::params_ptr;

  // c: the (m, n, l) coordinates of this thread's values, (VECTOR, FRAGMENT_COLUMN).
  template <class CTensor, class RTensor>
  struct Callbacks : VectorCallbacks<1, Element, CTensor, RTensor> {
    using VectorCallbacks<1, Element, CTensor, RTensor>::VectorCallbacks;

    template <class ElementAccumulator, int FragmentSize>
    CUTLASS_DEVICE cutlass::Array<Element, FragmentSize> visit(
        int, int, int column_idx, int, cutlass::Array<ElementAccumulator, FragmentSize> const&) {
      return cute::recast<cutlass::Array<Element, FragmentSize>>(cute::coalesce(this->r))(column_idx);
    }
  };

  template <class ProblemShape>
  CUTLASS_DEVICE auto get_callbacks(cutlass::gemm::GemmCoord tile_offset, int thread_idx,
                                    ProblemShape problem_shape) {
    using cute::_0;
    auto cRow = cute::make_identity_tensor(problem_shape);
    auto tC_cRow = ThreadMap::partition(cRow, thread_idx, tile_offset)(cute::_, cute::_, _0{}, _0{}, _0{}, _0{});
    auto tC_rRow = cute::make_tensor<Element>(cute::shape(tC_cRow));
    return Callbacks<decltype(tC_cRow), decltype(tC_rRow)>(cute::move(tC_cRow), cute::move(tC_rRow),
                                                           params_ptr, int(cute::get<1>(problem_shape)));
  }
};

// One value per output row m (per token): a_scale, azp.
template <class ThreadMap, class Element>
struct VisitorColOrScalar : Sm80VectorVisitor<Element> {
  using Base = Sm80VectorVisitor<Element>;
  using typename Base::Params;
  using Base::Base;
  using Base::params_ptr;

  // c: the coordinates of this thread's rows, (FRAGMENT_ROW, ITERATION).
  template <class CTensor, class RTensor>
  struct Callbacks : VectorCallbacks<0, Element, CTensor, RTensor> {
    using VectorCallbacks<0, Element, CTensor, RTensor>::VectorCallbacks;

    template <class ElementAccumulator, int FragmentSize>
    CUTLASS_DEVICE cutlass::Array<Element, FragmentSize> visit(
        int iter_idx, int row_idx, int, int, cutlass::Array<ElementAccumulator, FragmentSize> const&) {
      cutlass::Array<Element, FragmentSize> frg;
      frg.fill(this->r(row_idx, iter_idx));
      return frg;
    }
  };

  template <class ProblemShape>
  CUTLASS_DEVICE auto get_callbacks(cutlass::gemm::GemmCoord tile_offset, int thread_idx,
                                    ProblemShape problem_shape) {
    using cute::_0;
    auto cCol = cute::make_identity_tensor(problem_shape);
    auto tC_cCol = cute::group_modes<1, 4>(
        ThreadMap::partition(cCol, thread_idx, tile_offset)(_0{}, _0{}, cute::_, cute::_, cute::_, cute::_));
    auto tC_rCol = cute::make_tensor<Element>(cute::shape(tC_cCol));
    return Callbacks<decltype(tC_cCol), decltype(tC_rCol)>(cute::move(tC_cCol), cute::move(tC_rCol),
                                                           params_ptr, int(cute::get<0>(problem_shape)));
  }
};

}  // namespace qgemm::epilogue
