// heap_reuse.cpp: glibc malloc tuning for training (see heap_reuse.h).
#include "train/heap_reuse.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gs {

std::string keep_large_blocks_on_heap(int limit_bytes) {
#if defined(__GLIBC__)
    if (limit_bytes <= 0) return "keep_large_blocks_on_heap: limit must be positive";
    // ref: mallopt(3): M_MMAP_THRESHOLD (requests at least this large are mmap'd), M_TRIM_THRESHOLD (free
    // memory at the top of the heap beyond this is returned to the system). Setting either stops glibc's
    // dynamic adjustment of both.
    if (mallopt(M_MMAP_THRESHOLD, limit_bytes) != 1) return "mallopt(M_MMAP_THRESHOLD) refused";
    if (mallopt(M_TRIM_THRESHOLD, limit_bytes) != 1) return "mallopt(M_TRIM_THRESHOLD) refused";
    return "";
#else
    (void)limit_bytes;
    return "not glibc: malloc left as it is";
#endif
}

}  // namespace gs
