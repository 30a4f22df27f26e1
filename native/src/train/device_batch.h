// device_batch.h: keeps the training features on the training device and builds augmented batches there.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "train/train_data.h"

namespace gs {

// Uploads the training tracks once (one [n_bins, total_frames + 1] tensor; the last column is zeros for
// crops past a track's end), then turns each batch_plan into input and target tensors with tensor ops on the
// device: gather the crops, low-pass some, add noise and the gain (log-mel dB inputs only; all three follow
// from `config`'s kind and normalisation), apply the SpecAugment masks, mix pairs. On CUDA the features stay in
// GPU memory and only the plan's small index tensors cross the bus; on the CPU it is the same code.
class device_batcher {
public:
    // noise_texture: the noise is textured (augment_options::noise_texture); white noise's mel spectrogram is
    // then computed once here. Otherwise it is a flat floor and nothing is computed.
    // fill: what a crop reads past its track's end (only tracks shorter than a segment have such crops).
    device_batcher(const std::vector<track_matrix>& tracks, const std::vector<int>& train_indices, int n_bins,
                   int segment_frames, segment_fill fill, int n_classes, const feature_config& config,
                   bool noise_texture, torch::Device device);

    // x: [n, 1, n_bins, segment_frames], y: [n, n_classes] soft targets, both on the device.
    void materialize(const batch_plan& p, torch::Tensor& x, torch::Tensor& y) const;

    // A host tensor on the training device. On CUDA it goes through pinned memory without waiting: `host` is
    // copied at once (its memory may be reused right after) and the transfer queues behind the GPU's work,
    // where a plain .to(device) synchronises the stream. On the CPU: `host` itself.
    torch::Tensor upload(const torch::Tensor& host) const;

    // Bytes of feature data held on the device.
    int64_t bytes() const { return data_.numel() * static_cast<int64_t>(sizeof(float)); }

    // White noise's mel power spectrogram as the batches use it ([n_bins, frames], mean 1); undefined unless
    // the noise is textured and the inputs are log-mel dB with a per-bin or global normalisation.
    const torch::Tensor& noise_texture() const { return noise_texture_; }

private:
    torch::Device device_;
    int n_bins_;
    int frames_;
    segment_fill fill_;
    int n_classes_;
    torch::Tensor data_;                // [n_bins, total + 1]
    std::vector<int64_t> offset_;       // per dataset track: first column in data_, or -1 when not uploaded
    std::vector<int64_t> length_;       // per dataset track: frames
    int64_t zero_column_ = 0;
    torch::Tensor gain_per_db_;         // [1, 1, n_bins, 1]: normalised units per dB (0 unless log-mel dB)
    torch::Tensor norm_mean_, norm_std_; // [1, 1, n_bins, 1] (undefined: no noise or low-pass augmentation)
    torch::Tensor noise_texture_;       // [n_bins, frames]: white noise's mel power, mean 1 (log-mel dB only)
};

}  // namespace gs
