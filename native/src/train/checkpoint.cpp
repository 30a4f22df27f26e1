// checkpoint.cpp: saves and restores a training run's state (checkpoint.h).
#include "train/checkpoint.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace gs {

std::string save_checkpoint(const std::string& path, ir_module& model, torch::optim::Optimizer& opt,
                            const weight_ema& ema, const train_state& st) {
    try {
        torch::serialize::OutputArchive ar;
        torch::serialize::OutputArchive model_ar, opt_ar, best_ar;
        model->save(model_ar);
        opt.save(opt_ar);
        if (ema.enabled()) {
            torch::serialize::OutputArchive ema_ar;
            ema.save(ema_ar);
            ar.write("ema", ema_ar);
        }
        for (const auto& [name, values] : st.best_weights) {
            best_ar.write(name, torch::from_blob(const_cast<float*>(values.data()), {static_cast<int64_t>(values.size())},
                                                 torch::kFloat32).clone());
        }
        ar.write("model", model_ar);
        ar.write("optimizer", opt_ar);
        ar.write("best", best_ar);
        ar.write("epoch", c10::IValue(static_cast<int64_t>(st.epoch)));
        ar.write("step", c10::IValue(static_cast<int64_t>(st.step)));
        ar.write("best_epoch", c10::IValue(static_cast<int64_t>(st.best_epoch)));
        ar.write("best_metric", c10::IValue(st.best_metric));
        ar.write("history", c10::IValue(st.history_json));
        const std::string tmp = path + ".tmp";
        ar.save_to(tmp);
        fs::rename(tmp, path);
    } catch (const std::exception& e) {
        return std::string("cannot write checkpoint: ") + e.what();
    }
    return "";
}

std::string load_checkpoint(const std::string& path, ir_module& model, torch::optim::Optimizer& opt, weight_ema& ema,
                            train_state& st) {
    try {
        torch::serialize::InputArchive ar, model_ar, opt_ar, best_ar;
        ar.load_from(path);
        ar.read("model", model_ar);
        ar.read("optimizer", opt_ar);
        ar.read("best", best_ar);
        model->load(model_ar);
        opt.load(opt_ar);
        if (ema.enabled()) {
            torch::serialize::InputArchive ema_ar;
            if (!ar.try_read("ema", ema_ar)) return "checkpoint " + path + " has no weight average (trained without --ema)";
            const std::string e = ema.load(ema_ar);
            if (!e.empty()) return "checkpoint " + path + ": " + e;
        }
        c10::IValue v;
        ar.read("epoch", v);
        st.epoch = static_cast<int>(v.toInt());
        ar.read("step", v);
        st.step = v.toInt();
        ar.read("best_epoch", v);
        st.best_epoch = static_cast<int>(v.toInt());
        ar.read("best_metric", v);
        st.best_metric = v.toDouble();
        ar.read("history", v);
        st.history_json = v.toStringRef();
        const std::string herr = history_from_json(st.history_json, st);
        if (!herr.empty()) return "checkpoint history: " + herr;
        st.best_weights.clear();
        for (const auto& [name, unused] : model->weights()) {
            torch::Tensor t;
            best_ar.read(name, t);
            st.best_weights[name].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
        }
    } catch (const std::exception& e) {
        return std::string("cannot read checkpoint ") + path + ": " + e.what();
    }
    return "";
}

}  // namespace gs
