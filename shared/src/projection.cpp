// projection.cpp: PCA by subspace iteration, Fisher LDA with shrinkage, cosine nearest neighbours, and a cyclic Jacobi eigensolver.
#include "genrescope/projection.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>

namespace gs {

namespace {

// Column means of X ([n][d]) in double.
std::vector<double> column_means(const std::vector<float>& X, size_t n, size_t d) {
    std::vector<double> mu(d, 0.0);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < d; ++j) mu[j] += X[i * d + j];
    }
    for (double& m : mu) m /= static_cast<double>(std::max<size_t>(n, 1));
    return mu;
}

// Flips v so that its largest-magnitude coefficient is positive (a deterministic sign for eigenvectors).
void fix_sign(double* v, size_t d) {
    size_t big = 0;
    for (size_t j = 1; j < d; ++j) {
        if (std::fabs(v[j]) > std::fabs(v[big])) big = j;
    }
    if (v[big] < 0.0) {
        for (size_t j = 0; j < d; ++j) v[j] = -v[j];
    }
}

// Modified Gram-Schmidt on the k columns stored as rows of V ([k][d]); a column that collapses is zeroed.
void orthonormalise(std::vector<double>& V, size_t k, size_t d) {
    for (size_t a = 0; a < k; ++a) {
        double* va = V.data() + a * d;
        for (size_t b = 0; b < a; ++b) {
            const double* vb = V.data() + b * d;
            const double dot = std::inner_product(va, va + d, vb, 0.0);
            for (size_t j = 0; j < d; ++j) va[j] -= dot * vb[j];
        }
        const double norm = std::sqrt(std::inner_product(va, va + d, va, 0.0));
        const double scale = norm > 1e-150 ? 1.0 / norm : 0.0;
        for (size_t j = 0; j < d; ++j) va[j] *= scale;
    }
}

// Projects centred rows of X onto the rows of W ([k][d]): returns [n][k] as float.
std::vector<float> project(const std::vector<float>& X, size_t n, size_t d, const std::vector<double>& mu,
                           const std::vector<double>& W, size_t k) {
    std::vector<float> out(n * k);
    std::vector<double> row(d);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < d; ++j) row[j] = X[i * d + j] - mu[j];
        for (size_t c = 0; c < k; ++c) {
            out[i * k + c] = static_cast<float>(std::inner_product(row.begin(), row.end(), W.begin() + static_cast<std::ptrdiff_t>(c * d), 0.0));
        }
    }
    return out;
}

}  // namespace

void symmetric_eigen(std::vector<double> a, int d_in, std::vector<double>& values, std::vector<double>& vectors) {
    values.clear();
    vectors.clear();
    if (d_in < 1 || a.size() != static_cast<size_t>(d_in) * static_cast<size_t>(d_in)) return;
    const size_t d = static_cast<size_t>(d_in);
    std::vector<double> v(d * d, 0.0);  // columns accumulate the rotations: A = V diag V'
    for (size_t i = 0; i < d; ++i) v[i * d + i] = 1.0;
    double total = 0.0;
    for (double x : a) total += x * x;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0;
        for (size_t p = 0; p < d; ++p) {
            for (size_t q = p + 1; q < d; ++q) off += 2.0 * a[p * d + q] * a[p * d + q];
        }
        if (off <= 1e-30 * total || off == 0.0) break;
        for (size_t p = 0; p + 1 < d; ++p) {
            for (size_t q = p + 1; q < d; ++q) {
                const double apq = a[p * d + q];
                if (apq == 0.0) continue;
                // ref: Golub & Van Loan, "Matrix Computations", sec. 8.5 (symmetric Schur decomposition):
                // theta = (a_qq - a_pp) / (2 a_pq), t = sign(theta) / (|theta| + sqrt(theta^2 + 1)),
                // c = 1 / sqrt(1 + t^2), s = t c zeroes a_pq under A' = J' A J.
                const double theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                const double t = (theta >= 0.0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(1.0 + t * t);
                const double s = t * c;
                for (size_t r = 0; r < d; ++r) {  // A <- A J (columns p, q)
                    const double arp = a[r * d + p], arq = a[r * d + q];
                    a[r * d + p] = c * arp - s * arq;
                    a[r * d + q] = s * arp + c * arq;
                }
                for (size_t r = 0; r < d; ++r) {  // A <- J' A (rows p, q)
                    const double apr = a[p * d + r], aqr = a[q * d + r];
                    a[p * d + r] = c * apr - s * aqr;
                    a[q * d + r] = s * apr + c * aqr;
                }
                a[p * d + q] = 0.0;
                a[q * d + p] = 0.0;
                for (size_t r = 0; r < d; ++r) {  // V <- V J
                    const double vrp = v[r * d + p], vrq = v[r * d + q];
                    v[r * d + p] = c * vrp - s * vrq;
                    v[r * d + q] = s * vrp + c * vrq;
                }
            }
        }
    }
    std::vector<size_t> order(d);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return a[x * d + x] > a[y * d + y]; });
    values.resize(d);
    vectors.resize(d * d);
    for (size_t k = 0; k < d; ++k) {
        values[k] = a[order[k] * d + order[k]];
        for (size_t r = 0; r < d; ++r) vectors[k * d + r] = v[r * d + order[k]];
        fix_sign(vectors.data() + k * d, d);
    }
}

namespace {
void pca_components(const std::vector<float>& X, size_t n, size_t d, size_t k, int max_iterations,
                    std::vector<double>& mu_out, std::vector<double>& V_out);
}  // namespace

std::vector<float> pca_project(const std::vector<float>& X, int n_in, int d_in, int k_in, int max_iterations) {
    if (n_in < 1 || d_in < 1 || k_in < 1 || X.size() != static_cast<size_t>(n_in) * static_cast<size_t>(d_in)) return {};
    std::vector<double> mu, V;
    pca_components(X, static_cast<size_t>(n_in), static_cast<size_t>(d_in), static_cast<size_t>(k_in), max_iterations, mu, V);
    return project(X, static_cast<size_t>(n_in), static_cast<size_t>(d_in), mu, V, static_cast<size_t>(k_in));
}

std::vector<float> pca_project_subset(const std::vector<float>& X, int n_in, int d_in, int k_in, const std::vector<int>& fit_rows,
                                      int max_iterations) {
    if (n_in < 1 || d_in < 1 || k_in < 1 || X.size() != static_cast<size_t>(n_in) * static_cast<size_t>(d_in)) return {};
    const size_t d = static_cast<size_t>(d_in);
    std::vector<float> fit;
    fit.reserve(fit_rows.size() * d);
    for (int r : fit_rows) {
        if (r < 0 || r >= n_in) return {};
        fit.insert(fit.end(), X.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(r) * d),
                   X.begin() + static_cast<std::ptrdiff_t>((static_cast<size_t>(r) + 1) * d));
    }
    if (fit_rows.empty()) return {};
    std::vector<double> mu, V;
    pca_components(fit, fit_rows.size(), d, static_cast<size_t>(k_in), max_iterations, mu, V);
    return project(X, static_cast<size_t>(n_in), d, mu, V, static_cast<size_t>(k_in));
}

namespace {

// The centre `mu` and the top k principal directions `V` ([k][d]) of the rows of X ([n][d]).
void pca_components(const std::vector<float>& X, size_t n, size_t d, size_t k, int max_iterations,
                    std::vector<double>& mu_out, std::vector<double>& V_out) {
    const std::vector<double> mu = column_means(X, n, d);
    // Covariance operator C v = Xc' (Xc v) / (n - 1): an explicit matrix for moderate d, else two products.
    const bool explicit_cov = d <= 512;
    std::vector<double> cov;
    std::vector<double> xc(n * d);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < d; ++j) xc[i * d + j] = X[i * d + j] - mu[j];
    }
    const double denom = static_cast<double>(std::max<size_t>(n - 1, 1));
    if (explicit_cov) {
        cov.assign(d * d, 0.0);
        for (size_t i = 0; i < n; ++i) {
            const double* r = xc.data() + i * d;
            for (size_t a = 0; a < d; ++a) {
                for (size_t b = a; b < d; ++b) cov[a * d + b] += r[a] * r[b];
            }
        }
        for (size_t a = 0; a < d; ++a) {
            for (size_t b = a; b < d; ++b) cov[b * d + a] = (cov[a * d + b] /= denom);
        }
    }
    std::vector<double> tmp(n);
    auto apply = [&](const double* v, double* out) {
        if (explicit_cov) {
            for (size_t a = 0; a < d; ++a) out[a] = std::inner_product(v, v + d, cov.begin() + static_cast<std::ptrdiff_t>(a * d), 0.0);
            return;
        }
        for (size_t i = 0; i < n; ++i) tmp[i] = std::inner_product(v, v + d, xc.begin() + static_cast<std::ptrdiff_t>(i * d), 0.0);
        std::fill(out, out + d, 0.0);
        for (size_t i = 0; i < n; ++i) {
            for (size_t j = 0; j < d; ++j) out[j] += tmp[i] * xc[i * d + j];
        }
        for (size_t j = 0; j < d; ++j) out[j] /= denom;
    };
    // Fixed pseudo-random start (a 64-bit LCG), so the result never depends on anything but X.
    std::vector<double> V(k * d), W(k * d);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (double& x : V) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        x = static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
    }
    orthonormalise(V, k, d);
    // ref: Golub & Van Loan, "Matrix Computations", sec. 8.2.4 (orthogonal / subspace iteration).
    for (int it = 0; it < std::max(1, max_iterations); ++it) {
        for (size_t c = 0; c < k; ++c) apply(V.data() + c * d, W.data() + c * d);
        orthonormalise(W, k, d);
        double change = 0.0;
        for (size_t c = 0; c < k; ++c) {
            const double dot = std::inner_product(W.begin() + static_cast<std::ptrdiff_t>(c * d),
                                                  W.begin() + static_cast<std::ptrdiff_t>((c + 1) * d),
                                                  V.begin() + static_cast<std::ptrdiff_t>(c * d), 0.0);
            const double norm = std::inner_product(W.begin() + static_cast<std::ptrdiff_t>(c * d),
                                                   W.begin() + static_cast<std::ptrdiff_t>((c + 1) * d),
                                                   W.begin() + static_cast<std::ptrdiff_t>(c * d), 0.0);
            if (norm > 0.0) change = std::max(change, 1.0 - std::fabs(dot));
        }
        V.swap(W);
        if (change < 1e-13) break;
    }
    for (size_t c = 0; c < k; ++c) fix_sign(V.data() + c * d, d);
    mu_out = mu;
    V_out = V;
}

}  // namespace

std::vector<float> pca_2d(const std::vector<float>& X, int n, int d) { return pca_project(X, n, d, 2); }

std::vector<float> lda_2d(const std::vector<float>& X_in, int n_in, int d_in, const std::vector<int>& labels,
                          int n_classes, double shrinkage) {
    if (n_in < 1 || d_in < 1 || n_classes < 1 || labels.size() != static_cast<size_t>(n_in) ||
        X_in.size() != static_cast<size_t>(n_in) * static_cast<size_t>(d_in)) {
        return {};
    }
    if (d_in > 256) return lda_2d(pca_project(X_in, n_in, d_in, 64, 60), n_in, 64, labels, n_classes, shrinkage);
    const std::vector<float>& X = X_in;
    const size_t n = static_cast<size_t>(n_in), d = static_cast<size_t>(d_in), kc = static_cast<size_t>(n_classes);
    if (!(shrinkage >= 0.0)) shrinkage = 0.0;
    shrinkage = std::min(1.0, shrinkage);
    // Class means and the overall mean of the labelled rows.
    std::vector<double> class_mean(kc * d, 0.0), mu(d, 0.0);
    std::vector<double> count(kc, 0.0);
    double used = 0.0;
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= n_classes) continue;
        const size_t c = static_cast<size_t>(labels[i]);
        for (size_t j = 0; j < d; ++j) {
            class_mean[c * d + j] += X[i * d + j];
            mu[j] += X[i * d + j];
        }
        count[c] += 1.0;
        used += 1.0;
    }
    if (used == 0.0) return {};
    for (size_t j = 0; j < d; ++j) mu[j] /= used;
    for (size_t c = 0; c < kc; ++c) {
        for (size_t j = 0; j < d; ++j) class_mean[c * d + j] /= std::max(count[c], 1.0);
    }
    // ref: Fisher 1936 / Duda, Hart & Stork, "Pattern Classification", sec. 3.8.3 (multiple discriminant
    // analysis): Sw = sum_c sum_{x in c} (x - m_c)(x - m_c)', Sb = sum_c n_c (m_c - m)(m_c - m)' (both / n here).
    std::vector<double> sw(d * d, 0.0), sb(d * d, 0.0), r(d);
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= n_classes) continue;
        const size_t c = static_cast<size_t>(labels[i]);
        for (size_t j = 0; j < d; ++j) r[j] = X[i * d + j] - class_mean[c * d + j];
        for (size_t a = 0; a < d; ++a) {
            for (size_t b = a; b < d; ++b) sw[a * d + b] += r[a] * r[b];
        }
    }
    for (size_t c = 0; c < kc; ++c) {
        if (count[c] == 0.0) continue;
        for (size_t j = 0; j < d; ++j) r[j] = class_mean[c * d + j] - mu[j];
        for (size_t a = 0; a < d; ++a) {
            for (size_t b = a; b < d; ++b) sb[a * d + b] += count[c] * r[a] * r[b];
        }
    }
    double trace = 0.0;
    for (size_t a = 0; a < d; ++a) {
        for (size_t b = a; b < d; ++b) {
            sw[b * d + a] = (sw[a * d + b] /= used);
            sb[b * d + a] = (sb[a * d + b] /= used);
        }
        trace += sw[a * d + a];
    }
    // ref: Ledoit & Wolf 2004 / Friedman 1989 (regularised discriminant analysis): shrink Sw towards
    // (trace/d) I; a tiny ridge keeps it invertible when the data are degenerate.
    const double target = trace > 0.0 ? trace / static_cast<double>(d) : 1.0;
    for (size_t a = 0; a < d; ++a) {
        for (size_t b = 0; b < d; ++b) sw[a * d + b] *= (1.0 - shrinkage);
        sw[a * d + a] += shrinkage * target + 1e-9 * target;
    }
    // Sw'^(-1/2) = E diag(1/sqrt(l)) E'.
    std::vector<double> lw, ew;
    symmetric_eigen(sw, d_in, lw, ew);
    std::vector<double> wih(d * d, 0.0);
    for (size_t k = 0; k < d; ++k) {
        const double s = 1.0 / std::sqrt(std::max(lw[k], 1e-12 * target));
        for (size_t a = 0; a < d; ++a) {
            for (size_t b = 0; b < d; ++b) wih[a * d + b] += s * ew[k * d + a] * ew[k * d + b];
        }
    }
    // M = Sw'^(-1/2) Sb Sw'^(-1/2), symmetric.
    std::vector<double> t1(d * d, 0.0), m(d * d, 0.0);
    for (size_t a = 0; a < d; ++a) {
        for (size_t c = 0; c < d; ++c) {
            const double x = wih[a * d + c];
            for (size_t b = 0; b < d; ++b) t1[a * d + b] += x * sb[c * d + b];
        }
    }
    for (size_t a = 0; a < d; ++a) {
        for (size_t c = 0; c < d; ++c) {
            const double x = t1[a * d + c];
            for (size_t b = 0; b < d; ++b) m[a * d + b] += x * wih[c * d + b];
        }
    }
    for (size_t a = 0; a < d; ++a) {
        for (size_t b = a + 1; b < d; ++b) m[a * d + b] = m[b * d + a] = 0.5 * (m[a * d + b] + m[b * d + a]);
    }
    std::vector<double> lm, em;
    symmetric_eigen(m, d_in, lm, em);
    const size_t k = 2;
    std::vector<double> W(k * d, 0.0);
    for (size_t c = 0; c < k && c < d; ++c) {
        for (size_t a = 0; a < d; ++a) {
            double s = 0.0;
            for (size_t b = 0; b < d; ++b) s += wih[a * d + b] * em[c * d + b];
            W[c * d + a] = s;
        }
        fix_sign(W.data() + c * d, d);
    }
    return project(X, n, d, mu, W, k);
}

float cosine_distance(const float* a, const float* b, int d) {
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int j = 0; j < d; ++j) {
        ab += static_cast<double>(a[j]) * b[j];
        aa += static_cast<double>(a[j]) * a[j];
        bb += static_cast<double>(b[j]) * b[j];
    }
    if (!(aa > 0.0) || !(bb > 0.0) || !std::isfinite(ab) || !std::isfinite(aa) || !std::isfinite(bb)) return 1.0f;
    // ref: cosine similarity ab / (|a| |b|); clamped against rounding just outside [-1, 1].
    const double c = std::clamp(ab / (std::sqrt(aa) * std::sqrt(bb)), -1.0, 1.0);
    return static_cast<float>(1.0 - c);
}

std::vector<neighbour> cosine_neighbours(const std::vector<float>& X, int n, int d, int query, int k) {
    std::vector<neighbour> out;
    if (n < 1 || d < 1 || X.size() != static_cast<size_t>(n) * static_cast<size_t>(d) || query < 0 || query >= n) return out;
    k = std::clamp(k, 0, n - 1);
    const float* q = X.data() + static_cast<size_t>(query) * static_cast<size_t>(d);
    out.reserve(static_cast<size_t>(n - 1));
    for (int i = 0; i < n; ++i) {
        if (i == query) continue;
        out.push_back({i, cosine_distance(q, X.data() + static_cast<size_t>(i) * static_cast<size_t>(d), d)});
    }
    auto closer = [](const neighbour& a, const neighbour& b) {
        return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
    };
    std::partial_sort(out.begin(), out.begin() + k, out.end(), closer);
    out.resize(static_cast<size_t>(k));
    return out;
}

}  // namespace gs
