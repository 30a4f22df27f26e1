// float4.h: a 4-lane float vector (GCC/Clang vector extension): SSE natively, SIMD128 in wasm.
#pragma once

namespace gs {

// Lane l of every value belongs to frame l of a block of frames. Operations are lane-wise IEEE operations,
// so each lane's result is bit for bit what the same scalar operations give: processing frames 4 at a time
// never changes a feature value.
typedef float float4 __attribute__((vector_size(16)));
constexpr int kLanes = 4;  // frames per block

}  // namespace gs
