// distributed.h: data-parallel training over libtorch's c10d (Gloo on CPU, NCCL on CUDA) started the torchrun way.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gs {

// One process of a data-parallel run. Read from the environment torchrun, Slurm launch scripts and
// tools/train-dist set: RANK (0..WORLD_SIZE-1), WORLD_SIZE (>= 1), LOCAL_RANK (the GPU this process uses),
// MASTER_ADDR (host of rank 0, which serves the rendezvous TCP store), MASTER_PORT (1-65535).
// WORLD_SIZE unset or 1: a single process, every call below does nothing.
class dist_group {
public:
    dist_group();
    ~dist_group();
    dist_group(const dist_group&) = delete;
    dist_group& operator=(const dist_group&) = delete;

    // Joins the group. backend: "gloo", "nccl" or "" (nccl on CUDA, gloo on the CPU). timeout_s: how long a
    // collective waits for the other ranks before failing (a dead or hung rank), > 0. Returns "" or an error.
    std::string init_from_env(const std::string& backend, bool cuda, double timeout_s);

    bool active() const { return world_ > 1; }
    int rank() const { return rank_; }
    int world() const { return world_; }
    int local_rank() const { return local_rank_; }
    const std::string& backend() const { return backend_; }

    // The collectives. Each returns "" or a message that says which rank was lost when it can tell (every
    // surviving rank marks itself alive in the store; the ranks that do not within a few seconds are named).
    std::string barrier();
    // Sums the gradients of `params` over the ranks in buckets of about 25 MB (one flat tensor per bucket,
    // as DistributedDataParallel does; not overlapped with the backward pass). Each rank scales its loss by
    // its share of the global batch first, so the sum is the gradient of the global batch's mean loss.
    std::string allreduce_gradients(const std::vector<torch::Tensor>& params);
    // Averages float tensors over the ranks in place (batch-norm running statistics at the end of an epoch).
    std::string average(const std::vector<torch::Tensor>& tensors);
    // Sums `values` over the ranks in place (loss and accuracy sums for the log).
    std::string sum(std::vector<double>& values);
    // Rank 0's `values` on every rank (validation results, so all ranks select and stop alike).
    std::string broadcast(std::vector<double>& values);
    // Rank 0's values of `tensors` on every rank (the initial weights).
    std::string broadcast(const std::vector<torch::Tensor>& tensors);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    int rank_ = 0, world_ = 1, local_rank_ = 0;
    std::string backend_;
    std::string lost_ranks_message(const std::string& what);
    // Runs one collective (no-op in a single process); a failure becomes lost_ranks_message's text.
    std::string guarded(const std::function<void()>& collective);
    // Sums `values` over the ranks, or gives every rank rank 0's, in place.
    std::string exchange(std::vector<double>& values, bool from_rank_0);
};

// Rows [lo, hi) of a global batch of n samples that `rank` of `world` trains on: contiguous, sizes differ by
// at most one.
void batch_slice(int n, int rank, int world, int& lo, int& hi);

}  // namespace gs
