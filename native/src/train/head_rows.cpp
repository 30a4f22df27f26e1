// head_rows.cpp: rows, bags and track accuracy for heads on backbones (head_rows.h).
#include "train/head_rows.h"

#include <algorithm>

namespace gs {

void append_rows(const track_embeddings& te, int64_t width, int64_t offset, int64_t take, int64_t label, int owner,
                 std::vector<float>& x, std::vector<int64_t>& y, std::vector<int>& o) {
    for (size_t s = 0; s < te.n_segments; ++s) {
        const float* row = te.values.data() + s * static_cast<size_t>(width) + offset;
        x.insert(x.end(), row, row + take);
        y.push_back(label);
        o.push_back(owner);
    }
}

void gather_rows(const std::vector<track_embeddings>& emb, const std::vector<track_matrix>& tracks,
                 const std::vector<int>& ids, int64_t width, int64_t offset, int64_t take, std::vector<float>& x,
                 std::vector<int64_t>& y, std::vector<int>& owner) {
    for (size_t k = 0; k < ids.size(); ++k) {
        const size_t id = static_cast<size_t>(ids[k]);
        append_rows(emb[id], width, offset, take, tracks[id].label, static_cast<int>(k), x, y, owner);
    }
}

double track_accuracy(const torch::Tensor& probs, const std::vector<int>& owner, const std::vector<int64_t>& y,
                      size_t n_tracks) {
    const int64_t k = probs.size(1);
    std::vector<double> sum(n_tracks * static_cast<size_t>(k), 0.0);
    std::vector<int64_t> label(n_tracks, -1);
    const float* p = probs.data_ptr<float>();
    for (size_t r = 0; r < owner.size(); ++r) {
        for (int64_t c = 0; c < k; ++c) sum[static_cast<size_t>(owner[r]) * k + c] += p[r * k + c];
        label[static_cast<size_t>(owner[r])] = y[r];
    }
    int right = 0, counted = 0;
    for (size_t t = 0; t < n_tracks; ++t) {
        if (label[t] < 0) continue;
        const double* row = sum.data() + t * static_cast<size_t>(k);
        right += (std::max_element(row, row + k) - row) == label[t];
        ++counted;
    }
    return counted ? static_cast<double>(right) / counted : NAN;
}

std::vector<bag> draw_bags(const std::vector<int>& owner, const std::vector<int64_t>& y, int per_track, std::mt19937_64& rng) {
    std::vector<bag> bags;
    for (size_t r = 0; r < owner.size();) {
        size_t e = r;
        while (e < owner.size() && owner[e] == owner[r]) ++e;
        const int64_t n = static_cast<int64_t>(e - r);
        for (int k = 0; k < per_track; ++k) {
            const int64_t len = std::uniform_int_distribution<int64_t>(1, n)(rng);
            const int64_t start = std::uniform_int_distribution<int64_t>(0, n - len)(rng);
            bags.push_back({static_cast<int64_t>(r) + start, len, y[r]});
        }
        r = e;
    }
    std::shuffle(bags.begin(), bags.end(), rng);
    return bags;
}

bag_batch make_bag_batch(const std::vector<bag>& plan, size_t first, size_t last) {
    std::vector<int64_t> rows, bag_of, labels;
    std::vector<float> inv;
    for (size_t k = first; k < last; ++k) {
        for (int64_t r = 0; r < plan[k].length; ++r) {
            rows.push_back(plan[k].first + r);
            bag_of.push_back(static_cast<int64_t>(k - first));
        }
        labels.push_back(plan[k].label);
        inv.push_back(1.0f / static_cast<float>(plan[k].length));
    }
    return {torch::tensor(rows), torch::tensor(bag_of), torch::tensor(labels), torch::tensor(inv).unsqueeze(1)};
}

torch::Tensor bag_logits(const bag_batch& b, const torch::Tensor& patch_logits) {
    return torch::zeros({b.labels.size(0), patch_logits.size(1)}).index_add(0, b.bag_of, patch_logits) * b.inv_length;
}

torch::Tensor smoothed_weighted_loss(const torch::Tensor& logits, const torch::Tensor& y, double eps,
                                     const torch::Tensor& class_weights) {
    const int64_t k = logits.size(1);
    const torch::Tensor target = torch::one_hot(y, k).to(torch::kFloat32) * (1 - eps) + eps / static_cast<double>(k);
    return (-(target * torch::log_softmax(logits, 1)).sum(1) * class_weights.index_select(0, y)).mean();
}

}  // namespace gs
