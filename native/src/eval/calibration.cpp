// calibration.cpp: expected calibration error, temperature-scaled softmax and temperature fitting.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "eval/metrics.h"

namespace gs {

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();
const double t_min = 0.05;
const double t_max = 20.0;

// The usable samples of a fitting problem, in double: rows of finite logits with an in-range label.
struct nll_problem {
    size_t k = 0;
    std::vector<double> z;  // [n][k]
    std::vector<int> y;
};

// Golden-section search for the minimum of a unimodal f on [a, b]: stops after max_iter steps or once the
// bracket is narrower than tol, and returns the bracket's midpoint.
// ref: Kiefer 1953, golden-section search
template <typename F>
double golden_section_min(F f, double a, double b, int max_iter, double tol) {
    const double inv_phi = (std::sqrt(5.0) - 1.0) / 2.0;
    double x1 = b - inv_phi * (b - a), x2 = a + inv_phi * (b - a);
    double f1 = f(x1), f2 = f(x2);
    for (int it = 0; it < max_iter && b - a > tol; ++it) {
        if (f1 <= f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - inv_phi * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + inv_phi * (b - a);
            f2 = f(x2);
        }
    }
    return 0.5 * (a + b);
}

nll_problem make_problem(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels) {
    nll_problem p;
    if (n_classes < 1) return p;
    p.k = static_cast<size_t>(n_classes);
    const size_t n = std::min(labels.size(), logits.size() / p.k);
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= n_classes) continue;
        const float* row = logits.data() + i * p.k;
        bool finite = true;
        for (size_t c = 0; c < p.k; ++c) finite = finite && std::isfinite(row[c]);
        if (!finite) continue;
        for (size_t c = 0; c < p.k; ++c) p.z.push_back(row[c]);
        p.y.push_back(labels[i]);
    }
    return p;
}

// Mean NLL at inverse temperature beta, and optionally its first and second derivatives in beta:
// d/dbeta = mean(E_p[z] - z_y), d2/dbeta2 = mean(Var_p[z]) >= 0, p = softmax(beta z).
double problem_nll(const nll_problem& p, double beta, double* grad = nullptr, double* hess = nullptr) {
    const size_t n = p.y.size();
    if (n == 0) return nan_value;
    double nll = 0.0, g = 0.0, h = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double* z = p.z.data() + i * p.k;
        const double zmax = *std::max_element(z, z + p.k);
        double sum = 0.0, ez = 0.0, ez2 = 0.0;
        for (size_t c = 0; c < p.k; ++c) {
            const double e = std::exp(beta * (z[c] - zmax));
            sum += e;
            ez += e * z[c];
            ez2 += e * z[c] * z[c];
        }
        // ref: Guo et al. 2017, "On Calibration of Modern Neural Networks", sec. 4.2: temperature scaling
        // q = softmax(z / T), T fitted by minimising the NLL on a validation set.
        nll += std::log(sum) + beta * (zmax - z[static_cast<size_t>(p.y[i])]);
        const double mean = ez / sum;
        g += mean - z[static_cast<size_t>(p.y[i])];
        h += std::max(0.0, ez2 / sum - mean * mean);
    }
    const double dn = static_cast<double>(n);
    if (grad) *grad = g / dn;
    if (hess) *hess = h / dn;
    return nll / dn;
}

}  // namespace

calibration_result expected_calibration_error(const std::vector<float>& probs, int n_classes,
                                              const std::vector<int>& labels, int n_bins) {
    calibration_result r;
    r.ece = nan_value;
    if (n_classes < 1 || n_bins < 1) return r;
    const size_t k = static_cast<size_t>(n_classes);
    const size_t n = std::min(labels.size(), probs.size() / k);
    const size_t m = static_cast<size_t>(n_bins);
    std::vector<double> conf_sum(m, 0.0), correct(m, 0.0);
    std::vector<int> count(m, 0);
    int used = 0;
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= n_classes) continue;
        const float* row = probs.data() + i * k;
        size_t top = 0;
        for (size_t c = 1; c < k; ++c) {
            if (row[c] > row[top]) top = c;
        }
        double conf = static_cast<double>(row[top]);
        if (!std::isfinite(conf)) continue;
        conf = std::min(1.0, std::max(0.0, conf));
        // Bin b holds confidences in (b/M, (b+1)/M]; a confidence of exactly 0 goes to the first bin.
        long b = static_cast<long>(std::ceil(conf * static_cast<double>(m))) - 1;
        b = std::max(0L, std::min(static_cast<long>(m) - 1, b));
        conf_sum[static_cast<size_t>(b)] += conf;
        correct[static_cast<size_t>(b)] += static_cast<int>(top) == labels[i] ? 1.0 : 0.0;
        ++count[static_cast<size_t>(b)];
        ++used;
    }
    double ece = 0.0;
    for (size_t b = 0; b < m; ++b) {
        reliability_bin bin;
        bin.lower = static_cast<double>(b) / static_cast<double>(m);
        bin.upper = static_cast<double>(b + 1) / static_cast<double>(m);
        bin.count = count[b];
        bin.mean_confidence = count[b] > 0 ? conf_sum[b] / count[b] : nan_value;
        bin.accuracy = count[b] > 0 ? correct[b] / count[b] : nan_value;
        // ref: Guo et al. 2017, eq. (3): ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|.
        if (count[b] > 0) ece += static_cast<double>(count[b]) * std::fabs(bin.accuracy - bin.mean_confidence);
        r.bins.push_back(bin);
    }
    if (used > 0) r.ece = ece / used;
    return r;
}

std::vector<float> softmax_with_temperature(const std::vector<float>& logits, int n_classes, double temperature) {
    if (n_classes < 1) return {};
    if (!(temperature > 0.0) || !std::isfinite(temperature)) temperature = 1.0;
    const size_t k = static_cast<size_t>(n_classes);
    const size_t n = logits.size() / k;
    std::vector<float> out(n * k);
    std::vector<double> e(k);
    for (size_t i = 0; i < n; ++i) {
        const float* z = logits.data() + i * k;
        double zmax = -std::numeric_limits<double>::infinity();
        for (size_t c = 0; c < k; ++c) {
            if (z[c] > zmax) zmax = z[c];
        }
        double sum = 0.0;
        for (size_t c = 0; c < k; ++c) {
            e[c] = std::exp((static_cast<double>(z[c]) - zmax) / temperature);
            sum += e[c];
        }
        for (size_t c = 0; c < k; ++c) out[i * k + c] = static_cast<float>(e[c] / sum);
    }
    return out;
}

double mean_nll(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels, double temperature) {
    if (!(temperature > 0.0) || !std::isfinite(temperature)) return nan_value;
    return problem_nll(make_problem(logits, n_classes, labels), 1.0 / temperature);
}

double fit_temperature(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels) {
    const nll_problem p = make_problem(logits, n_classes, labels);
    if (n_classes < 2 || p.y.empty()) return 1.0;
    auto f = [&](double u) { return problem_nll(p, std::exp(-u)); };  // u = ln T, beta = 1/T
    // Golden-section search on u in [ln t_min, ln t_max]. The NLL is convex in beta and beta = exp(-u) is
    // monotone, so the NLL is unimodal in u and the bracket shrinks onto the minimum.
    const double u = golden_section_min(f, std::log(t_min), std::log(t_max), 200, 1e-7);
    double best = f(u);
    // Newton refinement on beta (safeguarded: a step is kept only if it lowers the NLL).
    double beta = std::exp(-u);
    for (int it = 0; it < 6; ++it) {
        double g = 0.0, h = 0.0;
        problem_nll(p, beta, &g, &h);
        if (!(h > 1e-300) || !std::isfinite(g)) break;
        const double next = std::min(1.0 / t_min, std::max(1.0 / t_max, beta - g / h));
        const double fn = problem_nll(p, next);
        if (!(fn < best)) break;
        const double moved = std::fabs(next - beta);
        beta = next;
        best = fn;
        if (moved < 1e-12 * beta) break;
    }
    return std::min(t_max, std::max(t_min, 1.0 / beta));
}

std::string track_probs_at(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels,
                           const std::vector<int>& track_ids, double temperature, track_probs& out,
                           aggregation how) {
    return aggregate_tracks(softmax_with_temperature(logits, n_classes, temperature), n_classes, labels, track_ids,
                            how, out);
}

double track_nll(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels,
                 const std::vector<int>& track_ids, double temperature, aggregation how) {
    track_probs tp;
    if (!track_probs_at(logits, n_classes, labels, track_ids, temperature, tp, how).empty() || tp.labels.empty()) {
        return nan_value;
    }
    double nll = 0.0;
    for (size_t t = 0; t < tp.labels.size(); ++t) {
        const double q = tp.probs[t * static_cast<size_t>(n_classes) + static_cast<size_t>(tp.labels[t])];
        nll -= std::log(std::max(q, 1e-12));
    }
    return nll / static_cast<double>(tp.labels.size());
}

double fit_temperature_tracks(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels,
                              const std::vector<int>& track_ids, aggregation how) {
    if (n_classes < 2 || labels.empty() || !std::isfinite(track_nll(logits, n_classes, labels, track_ids, 1.0, how))) {
        return 1.0;
    }
    auto f = [&](double u) { return track_nll(logits, n_classes, labels, track_ids, std::exp(u), how); };
    // Golden-section search on u = ln T. The track NLL (a log of a mean of softmaxes) is not convex in 1/T
    // in general, but it is unimodal in practice; a coarse scan first picks the bracket around the best
    // grid point so a second local minimum cannot capture the search.
    const int n_grid = 40;
    const double lo = std::log(t_min), hi = std::log(t_max), step = (hi - lo) / n_grid;
    int best_i = 0;
    double best_f = f(lo);
    for (int i = 1; i <= n_grid; ++i) {
        const double v = f(lo + step * i);
        if (v < best_f) best_f = v, best_i = i;
    }
    const double u = golden_section_min(f, lo + step * std::max(0, best_i - 1), lo + step * std::min(n_grid, best_i + 1),
                                        100, 1e-6);
    return std::min(t_max, std::max(t_min, std::exp(u)));
}

}  // namespace gs
