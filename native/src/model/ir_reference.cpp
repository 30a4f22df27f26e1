// ir_reference.cpp: plain-loop forward pass of every ir_op in double precision, one float rounding per tensor.
#include "ir_reference.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>

namespace gs {

namespace {

using shape_t = std::vector<int64_t>;
using tensor = std::vector<float>;

int64_t numel(const shape_t& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

int64_t prod(const shape_t& s, size_t from, size_t to) {
    int64_t n = 1;
    for (size_t i = from; i < to; ++i) n *= s[i];
    return n;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// A node's weights by param name (validated by ir_check_weights before use).
struct node_weights {
    const ir_weights& w;
    const ir_node& n;
    const float* operator()(const std::string& param) const { return w.at(n.name + "." + param).data(); }
};

void conv2d(const ir_node& n, const node_weights& p, const tensor& x, const shape_t& xs, tensor& y,
            const shape_t& ys) {
    const int64_t C = xs[1], H = xs[2], W = xs[3], O = ys[1], OH = ys[2], OW = ys[3];
    const int64_t kh = n.get_int("kernel_h"), kw = n.get_int("kernel_w");
    const int64_t sh = n.get_int("stride_h", 1), sw = n.get_int("stride_w", 1);
    const int64_t ph = n.get_int("pad_h", 0), pw = n.get_int("pad_w", 0);
    const int64_t G = n.get_int("groups", 1), Cg = C / G, Og = O / G;  // channels per group, in and out
    const float* wt = p("weight");
    const float* b = p("bias");
    for (int64_t b_i = 0; b_i < xs[0]; ++b_i)
        for (int64_t o = 0; o < O; ++o)
            for (int64_t i = 0; i < OH; ++i)
                for (int64_t j = 0; j < OW; ++j) {
                    // ref: PyTorch Conv2d: out(n, o) = bias(o) + sum_c weight(o, c) * input(n, g*Cg + c) over the
                    // Cg input channels of output o's group g = o / Og (cross-correlation)
                    double acc = b[o];
                    const int64_t c0 = (o / Og) * Cg;
                    for (int64_t c = 0; c < Cg; ++c)
                        for (int64_t u = 0; u < kh; ++u) {
                            const int64_t r = i * sh + u - ph;
                            if (r < 0 || r >= H) continue;
                            for (int64_t v = 0; v < kw; ++v) {
                                const int64_t q = j * sw + v - pw;
                                if (q < 0 || q >= W) continue;
                                acc += static_cast<double>(wt[((o * Cg + c) * kh + u) * kw + v]) *
                                       x[((b_i * C + c0 + c) * H + r) * W + q];
                            }
                        }
                    y[((b_i * O + o) * OH + i) * OW + j] = static_cast<float>(acc);
                }
}

void pool2d(const ir_node& n, bool is_max, const tensor& x, const shape_t& xs, tensor& y, const shape_t& ys) {
    const int64_t H = xs[2], W = xs[3], OH = ys[2], OW = ys[3];
    const int64_t kh = n.get_int("kernel_h"), kw = n.get_int("kernel_w");
    const int64_t sh = n.get_int("stride_h", kh), sw = n.get_int("stride_w", kw);
    for (int64_t nc = 0; nc < xs[0] * xs[1]; ++nc)
        for (int64_t i = 0; i < OH; ++i)
            for (int64_t j = 0; j < OW; ++j) {
                double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
                for (int64_t u = 0; u < kh; ++u)
                    for (int64_t v = 0; v < kw; ++v) {
                        const double e = x[(nc * H + i * sh + u) * W + j * sw + v];
                        acc = is_max ? std::max(acc, e) : acc + e;
                    }
                y[(nc * OH + i) * OW + j] = static_cast<float>(is_max ? acc : acc / static_cast<double>(kh * kw));
            }
}

// Mean or max over axis `axis` of x: viewed as [outer, len, inner] -> [outer, inner].
void reduce_axis(bool is_max, size_t axis, const tensor& x, const shape_t& xs, tensor& y) {
    const int64_t outer = prod(xs, 0, axis), len = xs[axis], inner = prod(xs, axis + 1, xs.size());
    for (int64_t a = 0; a < outer; ++a)
        for (int64_t c = 0; c < inner; ++c) {
            double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
            for (int64_t k = 0; k < len; ++k) {
                const double e = x[(a * len + k) * inner + c];
                acc = is_max ? std::max(acc, e) : acc + e;
            }
            y[a * inner + c] = static_cast<float>(is_max ? acc : acc / static_cast<double>(len));
        }
}

// GRU (G = 3) or LSTM (G = 4) over x [T, N, I]; y [N, D*H] holds the final hidden state of each direction.
void recurrent(const ir_node& n, const node_weights& p, const tensor& x, const shape_t& xs, tensor& y) {
    const bool is_gru = n.op == ir_op::gru;
    const int64_t T = xs[0], N = xs[1], I = xs[2], H = n.get_int("hidden_size");
    const int64_t D = n.get_int("bidirectional", 0) ? 2 : 1, G = is_gru ? 3 : 4;
    std::vector<double> h(H), c(H), gi(G * H), gh(G * H);
    for (int64_t d = 0; d < D; ++d) {
        const std::string sfx = d ? "_reverse" : "";
        const float* w_ih = p("weight_ih" + sfx);
        const float* w_hh = p("weight_hh" + sfx);
        const float* b_ih = p("bias_ih" + sfx);
        const float* b_hh = p("bias_hh" + sfx);
        for (int64_t b = 0; b < N; ++b) {
            std::fill(h.begin(), h.end(), 0.0);  // zero initial state
            std::fill(c.begin(), c.end(), 0.0);
            for (int64_t s = 0; s < T; ++s) {
                const int64_t t = d ? T - 1 - s : s;  // the reverse direction runs t = T-1 .. 0
                const float* xt = &x[(t * N + b) * I];
                for (int64_t r = 0; r < G * H; ++r) {
                    double a = b_ih[r], e = b_hh[r];
                    for (int64_t k = 0; k < I; ++k) a += static_cast<double>(w_ih[r * I + k]) * xt[k];
                    for (int64_t k = 0; k < H; ++k) e += static_cast<double>(w_hh[r * H + k]) * h[k];
                    gi[r] = a;
                    gh[r] = e;
                }
                for (int64_t k = 0; k < H; ++k) {
                    if (is_gru) {
                        // ref: PyTorch nn.GRU docs (gate rows r, z, n):
                        //   r = sigma(W_ir x + b_ir + W_hr h + b_hr), z = sigma(W_iz x + b_iz + W_hz h + b_hz)
                        //   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h
                        const double r = sigmoid(gi[k] + gh[k]);
                        const double z = sigmoid(gi[H + k] + gh[H + k]);
                        const double nn = std::tanh(gi[2 * H + k] + r * gh[2 * H + k]);
                        h[k] = (1.0 - z) * nn + z * h[k];
                    } else {
                        // ref: PyTorch nn.LSTM docs (gate rows i, f, g, o):
                        //   c' = f * c + i * g, h' = o * tanh(c')
                        const double i = sigmoid(gi[k] + gh[k]);
                        const double f = sigmoid(gi[H + k] + gh[H + k]);
                        const double g = std::tanh(gi[2 * H + k] + gh[2 * H + k]);
                        const double o = sigmoid(gi[3 * H + k] + gh[3 * H + k]);
                        c[k] = f * c[k] + i * g;
                        h[k] = o * std::tanh(c[k]);
                    }
                }
            }
            for (int64_t k = 0; k < H; ++k) y[b * D * H + d * H + k] = static_cast<float>(h[k]);
        }
    }
}

// Computes node `n`'s output y (pre-sized to ys) from its inputs.
void run_node(const ir_node& n, const node_weights& p, const std::vector<const tensor*>& in,
              const std::vector<shape_t>& is, tensor& y, const shape_t& ys) {
    const tensor& x = *in[0];
    const shape_t& xs = is[0];
    switch (n.op) {
    case ir_op::conv2d: conv2d(n, p, x, xs, y, ys); break;
    case ir_op::batch_norm: {
        // ref: PyTorch BatchNorm (eval): y = (x - running_mean) / sqrt(running_var + eps) * weight + bias
        const int64_t C = xs[1], inner = prod(xs, 2, xs.size());
        const double eps = n.get_float("eps", 1e-5);
        const float *wt = p("weight"), *b = p("bias"), *m = p("running_mean"), *v = p("running_var");
        for (int64_t a = 0; a < xs[0]; ++a)
            for (int64_t c = 0; c < C; ++c) {
                const double s = static_cast<double>(wt[c]) / std::sqrt(static_cast<double>(v[c]) + eps);
                for (int64_t k = 0; k < inner; ++k) {
                    const int64_t idx = (a * C + c) * inner + k;
                    y[idx] = static_cast<float>((static_cast<double>(x[idx]) - m[c]) * s + b[c]);
                }
            }
        break;
    }
    case ir_op::relu:
        for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case ir_op::relu6:
        for (size_t i = 0; i < x.size(); ++i) y[i] = std::min(6.0f, x[i] > 0.0f ? x[i] : 0.0f);
        break;
    case ir_op::elu: {
        // ref: Clevert et al. 2016 (ELU): x > 0 ? x : alpha (exp(x) - 1)
        const double alpha = n.get_float("alpha", 1.0);
        for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] > 0.0f ? x[i] : static_cast<float>(alpha * std::expm1(x[i]));
        break;
    }
    case ir_op::sigmoid:
        for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<float>(sigmoid(x[i]));
        break;
    case ir_op::dropout: y = x; break;
    case ir_op::level_align: {
        const int64_t F = xs[2], T = xs[3];
        const float* s = p("db_per_unit");
        for (int64_t a = 0; a < xs[0]; ++a) {
            const float* xa = x.data() + a * F * T;
            double level = 0.0;  // mean dB relative to the training mean
            for (int64_t f = 0; f < F; ++f)
                for (int64_t t = 0; t < T; ++t) level += static_cast<double>(xa[f * T + t]) * s[f];
            level /= static_cast<double>(F * T);
            for (int64_t f = 0; f < F; ++f)
                for (int64_t t = 0; t < T; ++t) y[a * F * T + f * T + t] = static_cast<float>(xa[f * T + t] - level / s[f]);
        }
        break;
    }
    case ir_op::quantize: {
        // ref: ONNX QuantizeLinear / DequantizeLinear (uint8): x / scale in float, rounded half to even, saturated
        const float s = static_cast<float>(n.get_float("scale", 1.0));
        const float zp = static_cast<float>(n.get_int("zero_point", 0));
        for (size_t i = 0; i < x.size(); ++i) {
            const float q = std::min(255.0f, std::max(0.0f, std::nearbyint(x[i] / s) + zp));
            y[i] = (q - zp) * s;
        }
        break;
    }
    case ir_op::scale: {
        const double f = n.get_float("factor", 1.0);
        for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<float>(x[i] * f);
        break;
    }
    case ir_op::max_pool2d: pool2d(n, true, x, xs, y, ys); break;
    case ir_op::avg_pool2d: pool2d(n, false, x, xs, y, ys); break;
    case ir_op::global_avg_pool:
    case ir_op::global_max_pool: {
        const shape_t flat = {xs[0] * xs[1], xs[2] * xs[3]};
        reduce_axis(n.op == ir_op::global_max_pool, 1, x, flat, y);
        break;
    }
    case ir_op::reduce_mean:
    case ir_op::reduce_max:
        reduce_axis(n.op == ir_op::reduce_max, static_cast<size_t>(n.get_int("axis")), x, xs, y);
        break;
    case ir_op::flatten: y = x; break;
    case ir_op::linear: {
        // ref: PyTorch Linear: y = x W^T + b
        const int64_t I = xs[1], O = ys[1];
        const float *wt = p("weight"), *b = p("bias");
        for (int64_t a = 0; a < xs[0]; ++a)
            for (int64_t o = 0; o < O; ++o) {
                double acc = b[o];
                for (int64_t k = 0; k < I; ++k) acc += static_cast<double>(wt[o * I + k]) * x[a * I + k];
                y[a * O + o] = static_cast<float>(acc);
            }
        break;
    }
    case ir_op::add:
        for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<float>(static_cast<double>(x[i]) + (*in[1])[i]);
        break;
    case ir_op::concat: {
        const size_t axis = static_cast<size_t>(n.get_int("axis", 1));
        const int64_t outer = prod(xs, 0, axis), inner = prod(xs, axis + 1, xs.size());
        int64_t off = 0;
        for (size_t k = 0; k < in.size(); ++k) {
            const int64_t chunk = is[k][axis] * inner;
            for (int64_t a = 0; a < outer; ++a)
                std::copy_n(in[k]->begin() + a * chunk, chunk, y.begin() + a * ys[axis] * inner + off);
            off += chunk;
        }
        break;
    }
    case ir_op::to_sequence: {
        const int64_t N = xs[0], F = xs[2], T = xs[3];
        for (int64_t t = 0; t < T; ++t)
            for (int64_t b = 0; b < N; ++b)
                for (int64_t f = 0; f < F; ++f) y[(t * N + b) * F + f] = x[(b * F + f) * T + t];
        break;
    }
    case ir_op::gru:
    case ir_op::lstm: recurrent(n, p, x, xs, y); break;
    case ir_op::softmax: {
        // ref: softmax(x)_k = exp(x_k - max x) / sum_j exp(x_j - max x)
        const int64_t K = xs[1];
        for (int64_t a = 0; a < xs[0]; ++a) {
            const float* r = &x[a * K];
            const double m = *std::max_element(r, r + K);
            double s = 0.0;
            for (int64_t k = 0; k < K; ++k) s += std::exp(r[k] - m);
            for (int64_t k = 0; k < K; ++k) y[a * K + k] = static_cast<float>(std::exp(r[k] - m) / s);
        }
        break;
    }
    }
}

}  // namespace

std::string ir_check_weights(const ir_graph& g, const ir_weights& w) {
    for (const ir_node& n : g.nodes)
        for (const ir_param& p : n.params) {
            const std::string name = n.name + "." + p.name;
            auto it = w.find(name);
            if (it == w.end()) return "missing weight '" + name + "'";
            if (static_cast<int64_t>(it->second.size()) != numel(p.shape)) {
                return "weight '" + name + "' has " + std::to_string(it->second.size()) + " values, expected " +
                       std::to_string(numel(p.shape));
            }
        }
    return "";
}

std::string ir_reference_forward(const ir_graph& g, const ir_weights& w, const std::vector<float>& input,
                                 int64_t batch, std::map<std::string, std::vector<float>>& tensors_out,
                                 std::map<std::string, std::vector<int64_t>>* shapes_out) {
    tensors_out.clear();
    try {
        std::map<std::string, shape_t> shapes;
        std::string e = ir_infer_shapes(g, batch, shapes);
        if (e.empty()) e = ir_check_weights(g, w);
        if (!e.empty()) return e;
        if (static_cast<int64_t>(input.size()) != numel(shapes[g.input])) {
            return "input has " + std::to_string(input.size()) + " values, expected " +
                   std::to_string(numel(shapes[g.input]));
        }
        tensors_out[g.input] = input;
        for (const ir_node& n : g.nodes) {
            std::vector<const tensor*> in;
            std::vector<shape_t> is;
            for (const std::string& i : n.inputs) {
                in.push_back(&tensors_out.at(i));
                is.push_back(shapes.at(i));
            }
            const shape_t& ys = shapes.at(n.output);
            tensor y(static_cast<size_t>(numel(ys)));
            run_node(n, node_weights{w, n}, in, is, y, ys);
            tensors_out[n.output] = std::move(y);
        }
        if (shapes_out) *shapes_out = std::move(shapes);
        return "";
    } catch (const std::exception& ex) {
        return std::string("ir_reference_forward: ") + ex.what();
    } catch (...) {
        return "ir_reference_forward: unknown exception";
    }
}

}  // namespace gs
