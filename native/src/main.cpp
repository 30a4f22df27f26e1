// main.cpp: the genrescope command-line tool (native build, and the same source compiled to wasm for Node).
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"

namespace gs {
int cmd_tflite_info(int argc, char** argv);  // genrescope tflite-info FILE (cmd_tflite_info.cpp)
}

namespace {

const char* kUsage =
    "genrescope: music genre classification tools\n"
    "\n"
    "usage:\n"
    "  genrescope features IN OUT.npy --kind {stft_mag|stft_power|mel_power|mel_db|mfcc|chroma|yamnet_log_mel}\n"
    "      Computes a librosa-compatible feature matrix, float32 [bins, frames], from a WAV/AU file\n"
    "      (other formats natively via libsndfile). Options (librosa 0.10 defaults):\n"
    "        --n-fft N (2048)  --hop-length N (512)  --n-mels N (128)  --fmin HZ (0)  --fmax HZ (sr/2)\n"
    "        --htk  --no-center  --pad-mode constant|reflect (constant)  --ref VALUE|max (1.0)\n"
    "        --amin V (1e-10)  --top-db V|none (80)  --n-mfcc N (20)  --lifter N (0)  --n-chroma N (12)\n"
    "        --tuning T (0.0)  --win-length N (0 = n_fft)  --sr HZ (resample first; default: keep the file's rate)\n"
    "        yamnet_log_mel: YAMNet's front end, ln(mel(|STFT|) + 0.001) with TensorFlow's framing and mel\n"
    "        weights; its defaults are YAMNet's (--sr 16000, 400-sample frames in a 512-point FFT, hop 160, 64\n"
    "        mels 125-7500 Hz)\n"
    "        --mel-norm slaney|none (slaney)\n"
    "  genrescope filters {mel|chroma} OUT.npy --sr HZ [--n-fft N --n-mels N --fmin --fmax --htk ...]\n"
    "      Writes the filterbank matrix [bands, 1 + n_fft/2] (librosa.filters.mel / chroma).\n"
    "  genrescope bench features [--seconds 30] [--repeat 20] [--json]\n"
    "      Times log-mel (22050 Hz, n_fft 2048, hop 512, 128 mels) of a generated clip on one thread.\n"
    "  genrescope bench resample [--from-hz 44100] [--to-hz 22050] [--seconds 30] [--repeat 20] [--json]\n"
    "      Times batch resampling of a generated clip.\n"
    "  genrescope tflite-info FILE.tflite\n"
    "      Developer tool: a TFLite model's operators with their input/output tensors (type, shape,\n"
    "      quantisation), and a summary (op counts, parameters, bytes). The file is parsed with bounds checks.\n"
    "  genrescope archs\n"
    "      Lists the architectures the trainer knows, one line each.\n"
    "  genrescope classify [--model models/default.onnx] [--json|--csv] [--threads N] FILES...\n"
    "      Genre probabilities per file (and per segment with --json); continues past bad files; exit 0 when\n"
    "      at least one file was classified.\n"
    "  genrescope library DIR... [--out DIR (./library)] [--model M.onnx] [--threads N (all cores)] [--shard I/N]\n"
    "      Classifies every audio file under the folders (recursive, sorted) like classify, with each track's\n"
    "      embedding, and writes DIR/library.csv, library.json (embeddings, 2-D map), similar.csv, library.html and\n"
    "      playlists/<genre>.m3u. Resumable: a journal (library.journal.jsonl) keeps every finished file, keyed by\n"
    "      its content's sha256, so a rerun (or a run after kill -9) skips them. --shard I/N takes only the files\n"
    "      whose name hashes to I mod N (for N machines or jobs).\n"
    "  genrescope library --merge PART_DIR... --out DIR\n"
    "      Joins the journals of --shard runs into one library (the same outputs as one run).\n"
    "  genrescope eval --model M.onnx --data DIR | --list FILE.csv [--split SPEC] [--set test|valid|train|all] [--json]\n"
    "      The trainer's metrics (segment and track level) for an existing model. --condition NAME re-scores\n"
    "      perturbed audio: mp3-128k | stereo-44k | gain-12db | noise-20db | excerpt-10s (robustness checks).\n"
    "      --level-align scores the model with a level_align node inserted before its first layer (no retraining).\n"
    "  genrescope calibrate --model M.onnx [--out OUT.onnx] [--aggregation auto|mean|geometric_mean]\n"
    "                      [--protocols NAME=report.json,...] RUN_DIR...\n"
    "      Fits M's temperature on the validation tracks pooled from the runs' predictions.json (a kfold:K run\n"
    "      folder counts as its folds) for the segment aggregation with the lower validation NLL (auto), checks\n"
    "      it cross-fitted on their test tracks, and rewrites M + card.\n"
    "  genrescope import yamnet FILE.tflite --out DIR [--class-map CSV] | import compact_cnn FILE.hdf5 --out DIR\n"
    "      A pretrained network as DIR/model.onnx + model.json (loads in classify, eval and the page; the card\n"
    "      names the source, licence and the sha256 of FILE). YAMNet: the network from either TFLite export, with\n"
    "      shared/'s yamnet_log_mel front end and AudioSet's 521 labels (multi-label scores).\n"
    "  genrescope quantize IN.onnx --out OUT.onnx [--min-elements N]\n"
    "      Stores the Conv/Gemm/MatMul weights of >= N (1024) values as int8 per output channel (symmetric) behind\n"
    "      ONNX DequantizeLinear nodes, about 4x smaller; copies the card IN.json to OUT.json with the new sha256.\n"
    "  genrescope train --data DIR | --list FILE.csv [options]\n"
    "      Trains a model on a folder of labelled audio (GTZAN layout DIR/genres/<genre>/*, or DIR/<label>/*)\n"
    "      and writes RUN/model.onnx, RUN/model.json (model card), RUN/report.json and RUN/report.html.\n"
    "        --split gtzan-ff|kfold:K:I|DIR|none (gtzan-ff for GTZAN, else kfold:5:0)  --arch NAME (genrescope_cnn)\n"
    "        --feature mel|mfcc|chroma (vgg_small)  --run-dir DIR (runs/ARCH)  --cache-dir DIR|none\n"
    "        --device auto|cpu|cuda  --epochs N  --batch-size N  --lr X  --weight-decay X  --warmup-epochs X\n"
    "        --label-smoothing X  --mixup ALPHA  --spec-augment 0|1  --gain-db X (12)  --noise-prob P (0.5)  --crops-per-track N\n"
    "        --noise-texture 0|1 (the noise is white noise's own fluctuating mel spectrogram, not a flat floor;\n"
    "          genrescope_cnn: 1)  --band-limit P (probability of a random low-pass from 5.4-11 kHz up, as MP3\n"
    "          encoders and old recordings do; genrescope_cnn: 0.25)\n"
    "        --level-align 0|1 (log-mel: each segment moved to the training mean level, so input gain cannot\n"
    "          matter; genrescope_cnn: 1)\n"
    "        --teacher M.onnx (distillation: each target mixes in a trained model's softened prediction for the\n"
    "          clean crop; same features and labels; with kfold:K, {fold} in M becomes the fold index)\n"
    "          --teacher-weight W (0.5: its share of the target)  --teacher-temp T (2: its logits / T)\n"
    "        --ema D (validate, select and export a moving average of the weights, decay D per step in [0, 1);\n"
    "          0.995 averages the last ~200 steps; default 0: off)\n"
    "        --segment-fill tile|zeros (a track shorter than one segment: repeated to fill it, or the rest 0 after\n"
    "          normalisation; default tile; the card's segment.fill, which classify and the page apply)\n"
    "        --patience N  --seed N  --threads N  --quiet\n"
    "        --resume (continue a stopped run from RUN/checkpoint.pt; with kfold:K, folds that finished are kept)\n"
    "\n"
    "Exit codes: 0 ok, 1 bad input or failure, 2 usage error.\n";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? gs::kExitUsage : gs::kExitOk;
    }
    const std::string cmd = argv[1];
    if (cmd == "features") return gs::cmd_features(argc - 2, argv + 2);
    if (cmd == "filters") return gs::cmd_filters(argc - 2, argv + 2);
    if (cmd == "bench") return gs::cmd_bench(argc - 2, argv + 2);
    if (cmd == "tflite-info") return gs::cmd_tflite_info(argc - 2, argv + 2);
#ifdef GENRESCOPE_HAVE_TRAINER
    if (cmd == "train") return gs::cmd_train(argc - 2, argv + 2);
    if (cmd == "archs") return gs::cmd_archs(argc - 2, argv + 2);
    if (cmd == "classify") return gs::cmd_classify(argc - 2, argv + 2);
    if (cmd == "eval") return gs::cmd_eval(argc - 2, argv + 2);
    if (cmd == "calibrate") return gs::cmd_calibrate(argc - 2, argv + 2);
    if (cmd == "import") return gs::cmd_import(argc - 2, argv + 2);
    if (cmd == "quantize") return gs::cmd_quantize(argc - 2, argv + 2);
    if (cmd == "library") return gs::cmd_library(argc - 2, argv + 2);
#else
    if (cmd == "train" || cmd == "archs" || cmd == "classify" || cmd == "eval" || cmd == "calibrate" ||
        cmd == "import" || cmd == "quantize" || cmd == "library") {
        std::fprintf(stderr, "genrescope: '%s' needs the native build with libtorch and ONNX\n", cmd.c_str());
        return gs::kExitUsage;
    }
#endif
    std::fprintf(stderr, "genrescope: unknown command '%s' (try 'genrescope --help')\n", cmd.c_str());
    return gs::kExitUsage;
}
