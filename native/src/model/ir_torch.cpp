// ir_torch.cpp: libtorch interpretation of the model IR (training and inference).
#include "model/ir_torch.h"

#include <cmath>
#include <stdexcept>

namespace gs {

namespace {

std::string torch_name(const std::string& ir_name) {
    std::string s = ir_name;
    for (size_t pos = s.find('.'); pos != std::string::npos; pos = s.find('.', pos + 2)) s.replace(pos, 1, "__");
    return s;
}

}  // namespace

ir_module_impl::ir_module_impl(const ir_graph& g) : graph_(g) {
    const std::string err = ir_infer_shapes(g, 1, shapes_);
    if (!err.empty()) throw std::invalid_argument("ir_module: " + err);
    torch::NoGradGuard no_grad;
    for (const ir_node& n : graph_.nodes) {
        for (const ir_param& p : n.params) {
            const std::string full = n.name + "." + p.name;
            torch::Tensor t;
            const int64_t fan_in = p.shape.size() >= 2 ? [&] {
                int64_t f = 1;
                for (size_t i = 1; i < p.shape.size(); ++i) f *= p.shape[i];
                return f;
            }() : 1;
            if (n.op == ir_op::gru || n.op == ir_op::lstm) {
                // ref: torch.nn.GRU / LSTM reset_parameters: U(-1/sqrt(H), 1/sqrt(H)) for all weights and biases
                const double k = 1.0 / std::sqrt(static_cast<double>(n.get_int("hidden_size")));
                t = torch::empty(p.shape).uniform_(-k, k);
            } else if (n.op == ir_op::level_align) {
                t = torch::ones(p.shape);  // set from the feature normalisation before training (set_level_align)
            } else if (n.op == ir_op::batch_norm) {
                t = (p.name == "weight" || p.name == "running_var") ? torch::ones(p.shape) : torch::zeros(p.shape);
            } else if (p.name == "bias") {
                t = torch::zeros(p.shape);
            } else {
                // ref: He et al. 2015 ("Delving deep into rectifiers"): N(0, 2 / fan_in)
                t = torch::randn(p.shape) * std::sqrt(2.0 / static_cast<double>(fan_in));
            }
            if (ir_param_is_buffer(n, p.name)) {
                params_[full] = register_buffer(torch_name(full), t);
            } else {
                params_[full] = register_parameter(torch_name(full), t);
            }
        }
    }
}

const torch::Tensor& ir_module_impl::param(const ir_node& n, const char* name) const {
    return params_.at(n.name + "." + name);
}

std::vector<torch::Tensor> ir_module_impl::recurrent_weights(const ir_node& n, bool bidirectional) const {
    // torch::gru / torch::lstm's order, which is also cuDNN's: per direction weight_ih, weight_hh, bias_ih, bias_hh.
    std::vector<torch::Tensor> flat;
    for (const char* d : {"", "_reverse"}) {
        if (std::string(d) == "_reverse" && !bidirectional) break;
        for (const char* w : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
            flat.push_back(param(n, (std::string(w) + d).c_str()));
        }
    }
    return flat;
}

torch::Tensor ir_module_impl::run_node(const ir_node& n, const std::vector<torch::Tensor>& in) {
    const torch::Tensor& x = in.at(0);
    switch (n.op) {
        case ir_op::conv2d: {
            const int64_t ph = n.get_int("pad_h"), pw = n.get_int("pad_w");
            const int64_t phe = n.get_int("pad_h_end", ph), pwe = n.get_int("pad_w_end", pw);
            const std::vector<int64_t> stride = {n.get_int("stride_h", 1), n.get_int("stride_w", 1)};
            const std::vector<int64_t> dilation = {1, 1};
            if (phe == ph && pwe == pw) {
                return torch::conv2d(x, param(n, "weight"), param(n, "bias"), stride, std::vector<int64_t>{ph, pw},
                                     dilation, n.get_int("groups", 1));
            }
            // Asymmetric padding: pad explicitly (last dimension first), then convolve without padding.
            const std::vector<int64_t> pads = {pw, pwe, ph, phe};
            return torch::conv2d(torch::constant_pad_nd(x, pads, 0.0), param(n, "weight"), param(n, "bias"), stride,
                                 std::vector<int64_t>{0, 0}, dilation, n.get_int("groups", 1));
        }
        case ir_op::batch_norm:
            // ref: torch.nn.BatchNorm (momentum 0.1; batch statistics while training)
            return torch::batch_norm(x, param(n, "weight"), param(n, "bias"), param(n, "running_mean"),
                                     param(n, "running_var"), is_training(), 0.1, n.get_float("eps", 1e-5), true);
        case ir_op::relu: return torch::relu(x);
        case ir_op::relu6: return torch::clamp(x, 0.0, 6.0);
        case ir_op::quantize: {
            // torch::round rounds half to even, as ONNX QuantizeLinear; the backward pass is the identity
            // (straight-through estimator): y = x + (fake_quant(x) - x) with the difference detached.
            const float s = static_cast<float>(n.get_float("scale", 1.0));
            const float zp = static_cast<float>(n.get_int("zero_point", 0));
            const torch::Tensor q = torch::clamp(torch::round(x / s) + zp, 0.0, 255.0);
            const torch::Tensor y = (q - zp) * s;
            return x.requires_grad() ? x + (y - x).detach() : y;
        }
        case ir_op::elu: return torch::elu(x, n.get_float("alpha", 1.0));
        case ir_op::sigmoid: return torch::sigmoid(x);
        case ir_op::max_pool2d:
            return torch::max_pool2d(x, {n.get_int("kernel_h"), n.get_int("kernel_w")},
                                     {n.get_int("stride_h"), n.get_int("stride_w")});
        case ir_op::avg_pool2d:
            return torch::avg_pool2d(x, {n.get_int("kernel_h"), n.get_int("kernel_w")},
                                     {n.get_int("stride_h"), n.get_int("stride_w")});
        case ir_op::global_avg_pool: return x.mean({2, 3});
        case ir_op::global_max_pool: return x.amax({2, 3});
        case ir_op::reduce_mean: return x.mean(n.get_int("axis"));
        case ir_op::reduce_max: return x.amax(n.get_int("axis"));
        case ir_op::flatten: return x.flatten(1);
        case ir_op::linear: return torch::linear(x, param(n, "weight"), param(n, "bias"));
        case ir_op::dropout: {
            const double p = n.get_float("p", 0.5);
            if (!is_training() || slice_rows_ <= x.size(0) || p <= 0.0 || p >= 1.0) return torch::dropout(x, p, is_training());
            // The global batch's mask (the draws torch::dropout makes: bernoulli(1 - p) / (1 - p) over the
            // whole tensor), this slice's rows of it.
            std::vector<int64_t> shape = x.sizes().vec();
            shape[0] = slice_rows_;
            const torch::Tensor noise = torch::empty(shape, x.options()).bernoulli_(1.0 - p).div_(1.0 - p);
            return x * noise.narrow(0, slice_first_, x.size(0));
        }
        case ir_op::add: return x + in.at(1);
        case ir_op::concat: return torch::cat(in, n.get_int("axis", 1));
        case ir_op::to_sequence: return x.squeeze(1).permute({2, 0, 1}).contiguous();
        case ir_op::gru:
        case ir_op::lstm: {
            const bool bidir = n.get_int("bidirectional") != 0;
            const int64_t hidden = n.get_int("hidden_size");
            const int64_t dirs = bidir ? 2 : 1;
            const std::vector<torch::Tensor> flat = recurrent_weights(n, bidir);
            const int64_t batch = x.size(1);
            torch::Tensor h0 = torch::zeros({dirs, batch, hidden}, x.options());
            torch::Tensor h_n;
            if (n.op == ir_op::gru) {
                h_n = std::get<1>(torch::gru(x, h0, flat, true, 1, 0.0, is_training(), bidir, false));
            } else {
                torch::Tensor c0 = torch::zeros({dirs, batch, hidden}, x.options());
                h_n = std::get<1>(torch::lstm(x, {h0, c0}, flat, true, 1, 0.0, is_training(), bidir, false));
            }
            return h_n.permute({1, 0, 2}).reshape({batch, dirs * hidden});
        }
        case ir_op::scale: return x * n.get_float("factor", 1.0);
        case ir_op::level_align: {
            const torch::Tensor& s = param(n, "db_per_unit");
            return x - (x * s).mean({1, 2, 3}, true) / s;
        }
        case ir_op::softmax: return torch::softmax(x, 1);
    }
    throw std::logic_error("ir_module: unknown op");
}

std::map<std::string, torch::Tensor> ir_module_impl::forward_all(const torch::Tensor& input) {
    std::map<std::string, torch::Tensor> t;
    t[graph_.input] = input;
    for (const ir_node& n : graph_.nodes) {
        std::vector<torch::Tensor> in;
        for (const std::string& name : n.inputs) in.push_back(t.at(name));
        t[n.output] = run_node(n, in);
    }
    return t;
}

torch::Tensor ir_module_impl::forward(const torch::Tensor& input) { return forward_to(input, graph_.logits); }

torch::Tensor ir_module_impl::forward_to(const torch::Tensor& input, const std::string& name) {
    // Index of the last node that reads each tensor.
    std::map<std::string, size_t> last_use;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
        for (const std::string& in : graph_.nodes[i].inputs) last_use[in] = i;
    }
    std::map<std::string, torch::Tensor> t;
    t[graph_.input] = input;
    if (name == graph_.input) return input;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
        const ir_node& n = graph_.nodes[i];
        std::vector<torch::Tensor> in;
        for (const std::string& x : n.inputs) in.push_back(t.at(x));
        torch::Tensor y = run_node(n, in);
        if (n.output == name) return y;
        in.clear();
        for (const std::string& x : n.inputs) {
            if (last_use[x] == i) t.erase(x);
        }
        t[n.output] = y;
    }
    throw std::invalid_argument("ir_module: no tensor named '" + name + "'");
}

torch::Tensor ir_module_impl::forward_from(const std::string& start, const torch::Tensor& value, const std::string& name) {
    if (name == start) return value;
    std::map<std::string, torch::Tensor> t;
    t[start] = value;
    for (const ir_node& n : graph_.nodes) {
        std::vector<torch::Tensor> in;
        for (const std::string& x : n.inputs) {
            auto it = t.find(x);
            if (it == t.end()) break;
            in.push_back(it->second);
        }
        if (in.size() != n.inputs.size()) continue;  // part of the prefix (or fed by it)
        torch::Tensor y = run_node(n, in);
        if (n.output == name) return y;
        t[n.output] = y;
    }
    throw std::invalid_argument("ir_module: '" + name + "' cannot be computed from '" + start + "' alone");
}

ir_weights ir_module_impl::weights() const {
    ir_weights w;
    for (const auto& [name, tensor] : params_) {
        const torch::Tensor c = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        w[name].assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return w;
}

std::string ir_module_impl::set_weights(const ir_weights& w) {
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : params_) {
        auto it = w.find(name);
        if (it == w.end()) return "weights: missing '" + name + "'";
        if (static_cast<int64_t>(it->second.size()) != tensor.numel()) {
            return "weights: '" + name + "' has " + std::to_string(it->second.size()) + " values, expected " +
                   std::to_string(tensor.numel());
        }
        const torch::Tensor src = torch::from_blob(const_cast<float*>(it->second.data()), tensor.sizes(), torch::kFloat32);
        tensor.copy_(src);
    }
    return "";
}

std::string ir_module_impl::compact_recurrent_weights() {
    std::string err;
    for (const ir_node& n : graph_.nodes) {
        if (n.op != ir_op::gru && n.op != ir_op::lstm) continue;
        const bool bidir = n.get_int("bidirectional") != 0;
        const std::vector<torch::Tensor> w = recurrent_weights(n, bidir);
        if (!w.front().is_cuda() || !at::_use_cudnn_rnn_flatten_weight()) continue;
        // ref: cudnnRNNMode_t (cuDNN API): CUDNN_LSTM = 2, CUDNN_GRU = 3
        const int64_t mode = n.op == ir_op::lstm ? 2 : 3;
        try {
            torch::NoGradGuard no_grad;
            // 4 tensors per direction (weight_ih, weight_hh, bias_ih, bias_hh); one layer; [T, N, F] input.
            at::_cudnn_rnn_flatten_weight(w, 4, w.front().size(1), mode, n.get_int("hidden_size"), 0, 1, false, bidir);
        } catch (const std::exception& e) {
            err = n.name + ": " + e.what();
            const size_t eol = err.find('\n');
            if (eol != std::string::npos) err.resize(eol);
        }
    }
    return err;
}

std::string ir_module_impl::embedding_tensor() const {
    // The classifier is the linear node producing the logits (possibly behind a scale node).
    std::string target = graph_.logits;
    for (auto it = graph_.nodes.rbegin(); it != graph_.nodes.rend(); ++it) {
        if (it->output != target) continue;
        if (it->op == ir_op::linear) return it->inputs.at(0);
        if (it->op == ir_op::scale || it->op == ir_op::dropout) target = it->inputs.at(0);
    }
    return "";
}

}  // namespace gs
