// keras_hdf5.cpp: the float datasets of an untrusted HDF5 file, read by libhdf5 in a forked child (see keras_hdf5.h).
//
// [1] the walk (child side, or in process for fuzzing)  [2] the pipe's message format  [3] fork, wait, timeout
#include "model/keras_hdf5.h"

#include <hdf5.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "file_io.h"

namespace gs {

int64_t hdf5_dataset::n_values() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

namespace {

// ---- [1] the walk ------------------------------------------------------------------------------------------

struct walk_state {
    hdf5_datasets* out = nullptr;
    uint64_t total_values = 0;
    std::string error;
};

// Reads one dataset `name` (relative to the root group `root`) into st.out, or sets st.error.
void read_dataset(hid_t root, const std::string& name, walk_state& st) {
    hid_t ds = H5Dopen2(root, name.c_str(), H5P_DEFAULT);
    if (ds < 0) {
        st.error = "cannot open dataset '" + name + "'";
        return;
    }
    hid_t space = H5Dget_space(ds);
    hid_t type = H5Dget_type(ds);
    hdf5_dataset d;
    bool ok = space >= 0 && type >= 0;
    if (!ok) st.error = "dataset '" + name + "' has no readable type or shape";
    if (ok) {
        const H5S_class_t cls = H5Sget_simple_extent_type(space);
        const int rank = H5Sget_simple_extent_ndims(space);
        if ((cls != H5S_SIMPLE && cls != H5S_SCALAR) || rank < 0 || rank > kHdf5MaxRank) {
            st.error = "dataset '" + name + "' has an unsupported shape (rank " + std::to_string(rank) + ", limit " +
                       std::to_string(kHdf5MaxRank) + ")";
            ok = false;
        } else {
            hsize_t dims[kHdf5MaxRank] = {};
            if (rank > 0 && H5Sget_simple_extent_dims(space, dims, nullptr) != rank) {
                st.error = "dataset '" + name + "': cannot read its dimensions";
                ok = false;
            }
            uint64_t count = 1;
            for (int i = 0; ok && i < rank; ++i) {
                if (dims[i] > kHdf5MaxValues || (dims[i] > 0 && count > kHdf5MaxValues / dims[i])) {
                    st.error = "dataset '" + name + "' is too large (limit " + std::to_string(kHdf5MaxValues) +
                               " values)";
                    ok = false;
                }
                count *= dims[i];
                d.shape.push_back(static_cast<int64_t>(dims[i]));
            }
            if (ok && H5Tget_class(type) == H5T_FLOAT) {
                d.is_float = true;
                if (st.total_values + count > kHdf5MaxTotalValues) {
                    st.error = "the file's datasets hold more than " + std::to_string(kHdf5MaxTotalValues) + " values";
                    ok = false;
                } else {
                    st.total_values += count;
                    try {
                        d.values.resize(static_cast<size_t>(count));
                    } catch (const std::bad_alloc&) {
                        st.error = "out of memory for dataset '" + name + "'";
                        ok = false;
                    }
                    if (ok && count > 0 &&
                        H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.values.data()) < 0) {
                        st.error = "cannot read dataset '" + name + "' (corrupt or unsupported storage)";
                        ok = false;
                    }
                }
            }
        }
    }
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Dclose(ds);
    if (ok) (*st.out)[name] = std::move(d);
}

// H5Lvisit callback: every link below the root, recursively (libhdf5 recurses through hard links to groups once).
void visit_link_impl(hid_t root, const char* name, const H5L_info_t* info, walk_state& st);

// No C++ exception may cross libhdf5's C frames: bad_alloc becomes an error that stops the walk.
herr_t visit_link(hid_t root, const char* name, const H5L_info_t* info, void* data) {
    walk_state& st = *static_cast<walk_state*>(data);
    try {
        visit_link_impl(root, name, info, st);
    } catch (const std::bad_alloc&) {
        st.error = "out of memory";
    }
    return st.error.empty() ? 0 : -1;
}

void visit_link_impl(hid_t root, const char* name, const H5L_info_t* info, walk_state& st) {
    if (!name || !info) return;
    if (info->type != H5L_TYPE_HARD) return;  // soft and external links: not followed (no other files opened)
    const size_t len = strnlen(name, kHdf5MaxName + 1);
    if (len > kHdf5MaxName) {
        st.error = "a dataset path is longer than " + std::to_string(kHdf5MaxName) + " characters";
        return;
    }
    hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
    if (obj < 0) return;  // unreadable object: skipped (a dataset the caller needs will be reported missing)
    const H5I_type_t kind = H5Iget_type(obj);
    H5Oclose(obj);
    if (kind != H5I_DATASET) return;
    if (st.out->size() >= kHdf5MaxDatasets) {
        st.error = "more than " + std::to_string(kHdf5MaxDatasets) + " datasets";
        return;
    }
    read_dataset(root, std::string(name, len), st);
}

std::string walk_image(const uint8_t* data, size_t n, hdf5_datasets& out) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // no error-stack printing
    out.clear();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return "the HDF5 library failed to start";
    // The core driver on a copy of the bytes, no backing store: nothing is read from or written to disk.
    if (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 || H5Pset_file_image(fapl, const_cast<uint8_t*>(data), n) < 0) {
        H5Pclose(fapl);
        return "the HDF5 library refused the file image";
    }
    hid_t file = H5Fopen("genrescope_image.h5", H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (file < 0) return "not a readable HDF5 file (corrupt or truncated)";
    walk_state st;
    st.out = &out;
    hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
    herr_t rc = -1;
    if (root >= 0) {
        rc = H5Lvisit(root, H5_INDEX_NAME, H5_ITER_INC, visit_link, &st);
        H5Gclose(root);
    }
    H5Fclose(file);
    if (!st.error.empty()) return st.error;
    if (root < 0 || rc < 0) return "cannot walk the file's groups (corrupt or truncated)";
    return "";
}

// True when the HDF5 signature is at offset 0, 512, 1024, 2048, ... (the places a superblock may start).
bool has_hdf5_signature(const uint8_t* data, size_t n) {
    static const uint8_t kSig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    for (size_t off = 0; off + 8 <= n; off = off == 0 ? 512 : off * 2) {
        if (std::memcmp(data + off, kSig, 8) == 0) return true;
    }
    return false;
}

// ---- [2] the message the child sends: "GSH5", u8 status (0 ok, 1 error), then
//   ok:    u64 n_datasets, per dataset: u64 name_len, name, u8 is_float, u64 rank, rank x u64 dims, values (float32)
//   error: u64 len, message

void put_u64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }

std::string encode_ok(const hdf5_datasets& ds) {
    std::string s("GSH5");
    s.push_back(0);
    put_u64(s, ds.size());
    for (const auto& [name, d] : ds) {
        put_u64(s, name.size());
        s += name;
        s.push_back(d.is_float ? 1 : 0);
        put_u64(s, d.shape.size());
        for (int64_t v : d.shape) put_u64(s, static_cast<uint64_t>(v));
        s.append(reinterpret_cast<const char*>(d.values.data()), d.values.size() * sizeof(float));
    }
    return s;
}

std::string encode_error(const std::string& msg) {
    std::string s("GSH5");
    s.push_back(1);
    put_u64(s, msg.size());
    s += msg;
    return s;
}

struct reader {
    const std::string& s;
    size_t pos = 0;
    bool u64(uint64_t& v) {
        if (s.size() - pos < sizeof v) return false;
        std::memcpy(&v, s.data() + pos, sizeof v);
        pos += sizeof v;
        return true;
    }
    bool bytes(size_t n, const char*& p) {
        if (s.size() - pos < n) return false;
        p = s.data() + pos;
        pos += n;
        return true;
    }
};

}  // namespace

std::string keras_hdf5_decode_answer(const std::string& msg, hdf5_datasets& out) {
    const std::string bad = "the reader process sent a malformed answer";
    if (msg.size() < 5 || msg.compare(0, 4, "GSH5") != 0) return bad;
    reader r{msg, 5};
    uint64_t count = 0;
    if (msg[4] == 1) {
        const char* p = nullptr;
        if (!r.u64(count) || count > 4096 || !r.bytes(static_cast<size_t>(count), p)) return bad;
        // One printable line whatever the child sent (it ran libhdf5 on untrusted input); never "" (= success).
        std::string e(p, static_cast<size_t>(count));
        for (char& c : e) c = (c >= 0x20 && c < 0x7f) ? c : '?';
        return e.empty() ? bad : e;
    }
    if (msg[4] != 0 || !r.u64(count) || count > kHdf5MaxDatasets) return bad;
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t name_len = 0, rank = 0;
        const char* p = nullptr;
        if (!r.u64(name_len) || name_len > kHdf5MaxName || !r.bytes(static_cast<size_t>(name_len), p)) return bad;
        std::string name(p, static_cast<size_t>(name_len));
        const char* flag = nullptr;
        if (!r.bytes(1, flag) || !r.u64(rank) || rank > static_cast<uint64_t>(kHdf5MaxRank)) return bad;
        hdf5_dataset d;
        d.is_float = *flag == 1;
        uint64_t n_values = 1;
        for (uint64_t k = 0; k < rank; ++k) {
            uint64_t dim = 0;
            if (!r.u64(dim) || dim > kHdf5MaxValues || (dim > 0 && n_values > kHdf5MaxValues / dim)) return bad;
            n_values *= dim;
            d.shape.push_back(static_cast<int64_t>(dim));
        }
        if (d.is_float) {
            total += n_values;
            if (total > kHdf5MaxTotalValues || !r.bytes(static_cast<size_t>(n_values * sizeof(float)), p)) return bad;
            d.values.resize(static_cast<size_t>(n_values));
            // An empty dataset (a dimension of 0) has no data(): memcpy may not be given a null pointer.
            if (n_values > 0) std::memcpy(d.values.data(), p, static_cast<size_t>(n_values * sizeof(float)));
        }
        out[name] = std::move(d);
    }
    return r.pos == msg.size() ? "" : bad;
}

namespace {

// ---- [3] the child process ---------------------------------------------------------------------------------

bool write_all(int fd, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
        const ssize_t w = write(fd, s.data() + done, s.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        done += static_cast<size_t>(w);
    }
    return true;
}

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// Runs in the child: never returns.
[[noreturn]] void child_main(const uint8_t* data, size_t n, int fd, const hdf5_read_options& options) {
    // Quiet: libhdf5 may print warnings to stderr outside its error stack.
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, STDERR_FILENO);
        dup2(devnull, STDOUT_FILENO);
    }
    signal(SIGPIPE, SIG_DFL);
    if (options.test_child_signal > 0) raise(options.test_child_signal);
    hdf5_datasets ds;
    std::string err;
    std::string msg;
    try {
        err = walk_image(data, n, ds);
        msg = err.empty() ? encode_ok(ds) : encode_error(err);
    } catch (const std::bad_alloc&) {
        msg = encode_error("out of memory");
    }
    const bool ok = write_all(fd, msg);
    _exit(ok ? 0 : 3);  // no atexit handlers (libhdf5's, the parent's), no stdio flushing
}

}  // namespace

std::string keras_hdf5_read_bytes_in_process(const uint8_t* data, size_t n, hdf5_datasets& out) {
    out.clear();
    if (n == 0 || data == nullptr) return "empty file";
    if (!has_hdf5_signature(data, n)) return "not an HDF5 file (no signature)";
    hdf5_datasets ds;
    std::string err;
    try {
        err = walk_image(data, n, ds);
    } catch (const std::bad_alloc&) {
        err = "out of memory";
    }
    if (err.empty()) out = std::move(ds);
    return err;
}

std::string keras_hdf5_read_bytes(const uint8_t* data, size_t n, hdf5_datasets& out,
                                  const hdf5_read_options& options) {
    out.clear();
    if (n == 0 || data == nullptr) return "empty file";
    if (n > kHdf5MaxFileBytes) return "file larger than " + describe_bytes(kHdf5MaxFileBytes);
    if (options.timeout_s < 1 || options.timeout_s > 3600) return "timeout_s must be in [1, 3600]";
    if (!has_hdf5_signature(data, n)) return "not an HDF5 file (no signature)";

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return std::string("cannot create a pipe: ") + std::strerror(errno);
    const pid_t pid = fork();
    if (pid < 0) {
        const int e = errno;
        close(fds[0]);
        close(fds[1]);
        return std::string("cannot start the reader process: ") + std::strerror(e);
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(data, n, fds[1], options);
    }
    close(fds[1]);

    // Read the answer until EOF, within the deadline (a hung libhdf5 is killed).
    std::string msg;
    std::string err;
    const double deadline = now_s() + options.timeout_s;
    const size_t max_msg = static_cast<size_t>(kHdf5MaxTotalValues * sizeof(float)) + (16u << 20);
    char buf[1 << 16];
    for (;;) {
        const double left = deadline - now_s();
        if (left <= 0) {
            err = "the HDF5 library did not finish within " + std::to_string(options.timeout_s) + " s";
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int pr = poll(&p, 1, static_cast<int>(left * 1000) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr < 0) {
            err = std::string("waiting for the reader process: ") + std::strerror(errno);
            break;
        }
        if (pr == 0) continue;  // the deadline check above ends it
        const ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;  // EOF (the child finished or died) or an error
        if (msg.size() + static_cast<size_t>(r) > max_msg) {
            err = "the reader process sent too much";
            break;
        }
        msg.append(buf, static_cast<size_t>(r));
    }
    close(fds[0]);
    if (!err.empty()) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!err.empty()) return err;
    if (WIFSIGNALED(status)) {
        return "the HDF5 library crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return "the reader process failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
    }
    hdf5_datasets ds;
    try {
        err = keras_hdf5_decode_answer(msg, ds);
    } catch (const std::bad_alloc&) {
        err = "out of memory";
    }
    if (err.empty()) out = std::move(ds);
    return err;
}

std::string keras_hdf5_read_file(const std::string& path, hdf5_datasets& out, const hdf5_read_options& options) {
    out.clear();
    std::vector<uint8_t> bytes;
    std::string err = read_whole_file(path, kHdf5MaxFileBytes, bytes);
    if (err.empty()) err = keras_hdf5_read_bytes(bytes.data(), bytes.size(), out, options);
    return err.empty() ? "" : "cannot read HDF5 file " + path + ": " + err;
}

}  // namespace gs
