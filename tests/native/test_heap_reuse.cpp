// test_heap_reuse.cpp: keep_large_blocks_on_heap makes glibc serve large training buffers from the heap.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "train/heap_reuse.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

void* volatile g_sink;  // keeps the compiler from eliding a malloc/free pair

// Number of mmap'd blocks while a block of `bytes` is held (glibc's mallinfo2().hblks).
size_t mmapped_blocks_while_holding(size_t bytes) {
#if defined(__GLIBC__)
    char* p = static_cast<char*>(std::malloc(bytes));
    EXPECT_NE(p, nullptr);
    if (p) std::memset(p, 1, bytes);
    g_sink = p;
    const size_t n = mallinfo2().hblks;
    std::free(p);
    return n;
#else
    (void)bytes;
    return 0;
#endif
}

}  // namespace

TEST(heap_reuse, large_blocks_stop_being_mmapped) {
#if !defined(__GLIBC__)
    EXPECT_FALSE(gs::keep_large_blocks_on_heap().empty());  // says why it did nothing
    GTEST_SKIP() << "not glibc";
#else
    const size_t bytes = 48u << 20;  // above glibc's 32-MiB cap on its automatic mmap threshold
    const size_t before = mallinfo2().hblks;
    // The premise: by default such a block is mmap'd (and unmapped again when freed), every time.
    EXPECT_EQ(mmapped_blocks_while_holding(bytes), before + 1);
    EXPECT_EQ(mmapped_blocks_while_holding(bytes), before + 1);
    ASSERT_EQ(gs::keep_large_blocks_on_heap(), "");
    EXPECT_EQ(mmapped_blocks_while_holding(bytes), before);
    // Freed, it stays in the process for the next step instead of going back to the kernel.
    EXPECT_GE(mallinfo2().fordblks, bytes);
#endif
}

TEST(heap_reuse, rejects_a_non_positive_limit) {
    EXPECT_FALSE(gs::keep_large_blocks_on_heap(0).empty());
}
