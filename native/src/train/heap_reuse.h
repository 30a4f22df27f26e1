// heap_reuse.h: keeps the C library from handing a training step's large buffers back to the kernel.
#pragma once

#include <string>

namespace gs {

// A batch's activations (genrescope_cnn, batch 32: 32 x 16 x 128 x 129 floats = 34 MB) exceed glibc's
// largest automatic mmap threshold (32 MiB), so by default every such buffer is mmap'd, zero-filled page by
// page and unmapped when freed, once per layer per step: 30% of a CPU training step was page faults and
// training ran 7.7x slower (25 against 194 segments/s on one thread, same losses to the last digit).
// Serves blocks up to `limit_bytes` from the heap and keeps up to that much freed memory for reuse, at the
// cost of the process keeping its peak heap. Call once before training. Returns "" or why it was not done
// (not glibc, or the C library refused the setting); training works either way, only slower.
std::string keep_large_blocks_on_heap(int limit_bytes = 1 << 30);

}  // namespace gs
