// TiledFormat code -> its layout type: the one switch the packers, the GPU repack and the
// dequantizer share, so a new format is added in one place.
#pragma once

#include "ops.hpp"
#include "qgemm/layout/int4_fragment.hpp"
#include "qgemm/layout/int4_k64.hpp"
#include "qgemm/layout/int8_fragment.hpp"
#include "qgemm/layout/int8_k64.hpp"

namespace qgemm::ops {

// Calls fn(Format{}) for the layout of f and returns what it returns.
template <class F>
decltype(auto) visit_tiled_format(TiledFormat f, F&& fn) {
  switch (f) {
    case TiledFormat::kInt4Fragment: return fn(layout::Int4Fragment{});
    case TiledFormat::kInt8Fragment: return fn(layout::Int8Fragment{});
    case TiledFormat::kInt4K64: return fn(layout::Int4K64{});
    case TiledFormat::kInt8K64: break;
  }
  return fn(layout::Int8K64{});
}

}  // namespace qgemm::ops
