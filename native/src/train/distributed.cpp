// distributed.cpp: c10d process group from the torchrun environment, and the few collectives training needs.
#include "train/distributed.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#if GENRESCOPE_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if GENRESCOPE_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace gs {

struct dist_group::impl {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> pg;
    std::string master;  // "host:port", for messages
    bool on_cuda = false; // NCCL reduces tensors on the GPU only
};

namespace {

// An environment variable as an integer in [lo, hi]; `fallback` when unset. "" or an error.
std::string env_int(const char* name, long lo, long hi, long fallback, long& out) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        out = fallback;
        return "";
    }
    char* end = nullptr;
    const long x = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || x < lo || x > hi) {
        return std::string(name) + "='" + v + "' is not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    }
    out = x;
    return "";
}

bool is_loopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

constexpr size_t kBucketBytes = 25u << 20;  // DistributedDataParallel's default bucket size

}  // namespace

dist_group::dist_group() : impl_(std::make_unique<impl>()) {}
dist_group::~dist_group() = default;

void batch_slice(int n, int rank, int world, int& lo, int& hi) {
    const int64_t w = world < 1 ? 1 : world;
    lo = static_cast<int>(static_cast<int64_t>(n) * rank / w);
    hi = static_cast<int>(static_cast<int64_t>(n) * (rank + 1) / w);
}

std::string dist_group::init_from_env(const std::string& backend, bool cuda, double timeout_s) {
    long world = 1, rank = 0, local_rank = 0, port = 29500;
    std::string err = env_int("WORLD_SIZE", 1, 65536, 1, world);
    if (err.empty()) err = env_int("RANK", 0, world - 1, 0, rank);
    if (err.empty()) err = env_int("LOCAL_RANK", 0, 65535, 0, local_rank);
    if (err.empty()) err = env_int("MASTER_PORT", 1, 65535, 29500, port);
    if (!err.empty()) return "distributed: " + err;
    world_ = static_cast<int>(world);
    rank_ = static_cast<int>(rank);
    local_rank_ = static_cast<int>(local_rank);
    backend_ = backend.empty() ? (cuda ? "nccl" : "gloo") : backend;
    if (backend_ != "gloo" && backend_ != "nccl") return "distributed: --dist-backend must be gloo or nccl";
    if (world_ == 1) return "";
    if (!(timeout_s > 0)) return "distributed: --dist-timeout must be > 0";
    const char* addr_env = std::getenv("MASTER_ADDR");
    const std::string host = addr_env != nullptr && *addr_env != '\0' ? addr_env : "127.0.0.1";
    impl_->master = host + ":" + std::to_string(port);
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000.0));
    try {
        c10d::TCPStoreOptions so;
        so.port = static_cast<std::uint16_t>(port);
        so.isServer = rank_ == 0;
        so.numWorkers = static_cast<size_t>(world_);
        so.waitWorkers = true;
        so.timeout = timeout;
        impl_->store = c10::make_intrusive<c10d::TCPStore>(host, so);
        if (backend_ == "gloo") {
#if GENRESCOPE_HAVE_GLOO
            auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
            const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
            if (ifname != nullptr && *ifname != '\0') {
                opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
            } else if (is_loopback(host)) {
                opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            } else {
                opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            }
            impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, rank_, world_, opts);
#else
            return "distributed: this build has no Gloo (install libgloo-dev and rebuild: tools/setup does)";
#endif
        } else {
#if GENRESCOPE_HAVE_NCCL
            impl_->on_cuda = true;
            auto opts = c10d::ProcessGroupNCCL::Options::create();
            opts->timeout = timeout;
            impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, rank_, world_, opts);
#else
            return "distributed: this build has no NCCL (a CUDA libtorch built with it is needed); use --dist-backend gloo";
#endif
        }
    } catch (const std::exception& e) {
        return "distributed: cannot join the group at " + impl_->master + " as rank " + std::to_string(rank_) + " of " +
               std::to_string(world_) + " within " + std::to_string(static_cast<int>(timeout_s)) + " s: " + e.what();
    }
    return "";
}

std::string dist_group::lost_ranks_message(const std::string& what) {
    // The store outlives a lost rank unless that rank is 0 (which serves it). Every survivor marks itself,
    // waits for the others to do the same, and names the ranks that did not.
    std::string first_line = what.substr(0, what.find('\n'));
    std::string lost;
    try {
        impl_->store->set("genrescope/alive/" + std::to_string(rank_), std::vector<uint8_t>{1});
        std::this_thread::sleep_for(std::chrono::seconds(3));
        for (int r = 0; r < world_; ++r) {
            if (!impl_->store->check({"genrescope/alive/" + std::to_string(r)})) lost += (lost.empty() ? "" : ", ") + std::to_string(r);
        }
    } catch (const std::exception&) {
        lost = "0 (it serves the rendezvous store at " + impl_->master + ")";
    }
    if (lost.empty()) lost = "unknown (every rank still answers the store)";
    return "distributed: rank " + std::to_string(rank_) + " lost contact with rank " + lost + ": " + first_line;
}

std::string dist_group::guarded(const std::function<void()>& collective) {
    if (!active()) return "";
    torch::NoGradGuard no_grad;
    try {
        collective();
    } catch (const std::exception& e) {
        return lost_ranks_message(e.what());
    }
    return "";
}

std::string dist_group::barrier() {
    return guarded([&]() { impl_->pg->barrier()->wait(); });
}

std::string dist_group::allreduce_gradients(const std::vector<torch::Tensor>& params) {
    return guarded([&]() {
        std::vector<torch::Tensor> bucket;
        size_t bytes = 0;
        auto flush = [&]() {
            if (bucket.empty()) return;
            std::vector<torch::Tensor> flat_parts;
            for (const torch::Tensor& g : bucket) flat_parts.push_back(g.reshape({-1}));
            std::vector<torch::Tensor> flat = {torch::cat(flat_parts)};
            impl_->pg->allreduce(flat)->wait();
            int64_t offset = 0;
            for (torch::Tensor& g : bucket) {
                g.copy_(flat[0].narrow(0, offset, g.numel()).view_as(g));
                offset += g.numel();
            }
            bucket.clear();
            bytes = 0;
        };
        for (const torch::Tensor& p : params) {
            torch::Tensor g = p.grad();
            if (!g.defined()) continue;  // identical on every rank: the same graph runs everywhere
            bucket.push_back(g);
            bytes += static_cast<size_t>(g.numel()) * g.element_size();
            if (bytes >= kBucketBytes) flush();
        }
        flush();
    });
}

std::string dist_group::average(const std::vector<torch::Tensor>& tensors) {
    return guarded([&]() {
        for (const torch::Tensor& t : tensors) {
            if (!t.defined() || !t.is_floating_point()) continue;
            std::vector<torch::Tensor> one = {t};
            impl_->pg->allreduce(one)->wait();
            t.div_(world_);
        }
    });
}

std::string dist_group::exchange(std::vector<double>& values, bool from_rank_0) {
    if (values.empty()) return "";
    return guarded([&]() {
        std::vector<torch::Tensor> t = {torch::tensor(values, torch::kFloat64).to(impl_->on_cuda ? torch::kCUDA : torch::kCPU)};
        if (from_rank_0) impl_->pg->broadcast(t)->wait();
        else impl_->pg->allreduce(t)->wait();
        const torch::Tensor host = t[0].cpu().contiguous();
        std::copy(host.data_ptr<double>(), host.data_ptr<double>() + host.numel(), values.begin());
    });
}

std::string dist_group::sum(std::vector<double>& values) { return exchange(values, false); }

std::string dist_group::broadcast(std::vector<double>& values) { return exchange(values, true); }

std::string dist_group::broadcast(const std::vector<torch::Tensor>& tensors) {
    return guarded([&]() {
        for (const torch::Tensor& t : tensors) {
            if (!t.defined()) continue;
            std::vector<torch::Tensor> one = {t};
            impl_->pg->broadcast(one)->wait();  // root rank 0
        }
    });
}

}  // namespace gs
