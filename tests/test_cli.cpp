// End-to-end tests of the `smt` command-line program: each test runs the built
// binary (SMT_BINARY) on tiny IDX datasets it writes itself, and checks exit
// codes, the error message on stderr, and the files left in the output folder.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/io/dataset.h"
#include "smt/io/npy.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Helpers

// A fresh directory per test with data/, out/ and logs/ inside, removed afterwards.
class TempDir {
 public:
  TempDir() : dir_("smt_cli_test") {
    fs::create_directories(dir_.path() / "data");
    fs::create_directories(dir_.path() / "out");
    fs::create_directories(dir_.path() / "logs");
  }
  std::string path() const { return dir_.path().string(); }
  std::string data() const { return (dir_.path() / "data").string(); }
  std::string data(const std::string& name) const { return (dir_.path() / "data" / name).string(); }
  std::string out() const { return (dir_.path() / "out").string(); }
  std::string out(const std::string& name) const { return (dir_.path() / "out" / name).string(); }
  std::string logs(const std::string& name) const { return (dir_.path() / "logs" / name).string(); }
  std::string file(const std::string& name) const { return dir_.file(name); }

  // Names of everything in out/, sorted.
  std::vector<std::string> out_entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_.path() / "out"))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  smt::testing::TempDir dir_;
};

using smt::testing::read_bytes;

void write_bytes(const std::string& path, const std::string& bytes) {
  ASSERT_TRUE(smt::testing::write_bytes(path, bytes)) << "cannot write " << path;
}

void put_be32(std::string& s, std::uint32_t v) {
  s.push_back(static_cast<char>((v >> 24) & 0xff));
  s.push_back(static_cast<char>((v >> 16) & 0xff));
  s.push_back(static_cast<char>((v >> 8) & 0xff));
  s.push_back(static_cast<char>(v & 0xff));
}

std::string idx_images(std::uint32_t magic, std::uint32_t count, int side,
                       const std::vector<std::uint8_t>& pixels) {
  std::string s;
  put_be32(s, magic);
  put_be32(s, count);
  put_be32(s, static_cast<std::uint32_t>(side));
  put_be32(s, static_cast<std::uint32_t>(side));
  s.append(reinterpret_cast<const char*>(pixels.data()), pixels.size());
  return s;
}

std::string idx_labels(std::uint32_t magic, const std::vector<std::uint8_t>& labels) {
  std::string s;
  put_be32(s, magic);
  put_be32(s, static_cast<std::uint32_t>(labels.size()));
  s.append(reinterpret_cast<const char*>(labels.data()), labels.size());
  return s;
}

// One split of simple synthetic digits: class c is a bar or box whose shape
// and position depend on c, jittered by a pixel or two, on a noisy background.
struct Split {
  std::vector<std::uint8_t> pixels;
  std::vector<std::uint8_t> labels;
};

Split make_split(int n, int side, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 40), jitter(-1, 1), bright(180, 255);
  Split s;
  s.pixels.assign(static_cast<std::size_t>(n) * side * side, 0);
  for (int i = 0; i < n; ++i) {
    const int c = i % 10;
    s.labels.push_back(static_cast<std::uint8_t>(c));
    std::uint8_t* img = s.pixels.data() + static_cast<std::size_t>(i) * side * side;
    for (int p = 0; p < side * side; ++p) img[p] = static_cast<std::uint8_t>(noise(rng));
    const int dy = jitter(rng), dx = jitter(rng), v = bright(rng);
    auto set = [&](int y, int x) {
      y += dy;
      x += dx;
      if (y >= 0 && y < side && x >= 0 && x < side)
        img[y * side + x] = static_cast<std::uint8_t>(v);
    };
    const int m = side / 2, q = side / 4;
    for (int t = 1; t < side - 1; ++t) {
      switch (c) {
        case 0:
          set(m, t);
          break;  // horizontal bar
        case 1:
          set(t, m);
          break;  // vertical bar
        case 2:
          set(t, t);
          break;  // diagonal
        case 3:
          set(t, side - 1 - t);
          break;  // anti-diagonal
        case 4:
          set(q, t);
          set(side - 1 - q, t);
          break;  // two horizontal bars
        case 5:
          set(t, q);
          set(t, side - 1 - q);
          break;  // two vertical bars
        case 6:
          set(m, t);
          set(t, m);
          break;  // plus
        case 7:
          set(t, t);
          set(t, side - 1 - t);
          break;  // cross
        case 8:   // box outline
          if (t >= q && t <= side - 1 - q) {
            set(q, t);
            set(side - 1 - q, t);
            set(t, q);
            set(t, side - 1 - q);
          }
          break;
        default:  // filled square
          for (int u = q; u <= m; ++u)
            if (t >= q && t <= m) set(t, u);
          break;
      }
    }
  }
  return s;
}

// Writes train (n_train) and t10k (n_test) IDX files of side x side images into dir.
void write_dataset(const std::string& dir, int n_train = 60, int n_test = 20, int side = 14) {
  const Split train = make_split(n_train, side, 1);
  const Split test = make_split(n_test, side, 2);
  write_bytes(dir + "/train-images-idx3-ubyte",
              idx_images(0x803, static_cast<std::uint32_t>(n_train), side, train.pixels));
  write_bytes(dir + "/train-labels-idx1-ubyte", idx_labels(0x801, train.labels));
  write_bytes(dir + "/t10k-images-idx3-ubyte",
              idx_images(0x803, static_cast<std::uint32_t>(n_test), side, test.pixels));
  write_bytes(dir + "/t10k-labels-idx1-ubyte", idx_labels(0x801, test.labels));
}

// Colour images in the CIFAR-10 binary format: class c is a filled square
// whose colour (one of ten hues) and position depend on c, jittered by a pixel,
// on a noisy grey background with a random colour cast per image.
std::string cifar_records(int n, std::uint32_t seed) {
  static constexpr std::uint8_t kColours[10][3] = {
      {230, 40, 40},  {40, 200, 40},  {40, 60, 230}, {230, 220, 40},  {220, 40, 220},
      {40, 220, 220}, {250, 140, 30}, {140, 60, 20}, {150, 150, 250}, {250, 250, 250}};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 30), cast(0, 40), jitter(-1, 1);
  constexpr int kSide = 32, kPlane = kSide * kSide;
  std::string out;
  for (int i = 0; i < n; ++i) {
    const int c = i % 10;
    std::string rec(1 + 3 * kPlane, '\0');
    rec[0] = static_cast<char>(c);
    int tint[3];
    for (int& t : tint) t = cast(rng);
    for (int ch = 0; ch < 3; ++ch)
      for (int p = 0; p < kPlane; ++p)
        rec[1 + ch * kPlane + p] = static_cast<char>(60 + tint[ch] + noise(rng));
    const int y0 = 4 + 2 * (c % 5) + jitter(rng), x0 = 4 + 3 * (c / 5) + jitter(rng);
    for (int y = y0; y < y0 + 12; ++y)
      for (int x = x0; x < x0 + 12; ++x)
        for (int ch = 0; ch < 3; ++ch)
          rec[1 + ch * kPlane + y * kSide + x] = static_cast<char>(kColours[c][ch]);
    out += rec;
  }
  return out;
}

// A tiny CIFAR-10 directory: five training batches of `per_batch` images and
// a test batch of n_test.
void write_cifar10(const std::string& dir, int per_batch = 10, int n_test = 20) {
  for (int b = 1; b <= 5; ++b)
    write_bytes(dir + "/data_batch_" + std::to_string(b) + ".bin",
                cifar_records(per_batch, static_cast<std::uint32_t>(10 + b)));
  write_bytes(dir + "/test_batch.bin", cifar_records(n_test, 99));
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) {
    if (ch == '\'')
      q += "'\\''";
    else
      q += ch;
  }
  return q + "'";
}

struct RunResult {
  int exit_code = -1;  // -1: did not exit normally (signal)
  std::string out, err;
};

// Runs SMT_BINARY with args (each shell-quoted), capturing stdout and stderr.
RunResult run_smt(const TempDir& tmp, const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string n = std::to_string(counter++);
  const std::string out_log = tmp.logs("stdout" + n), err_log = tmp.logs("stderr" + n);
  std::string cmd = quote(SMT_BINARY);
  for (const auto& a : args) {
    cmd += ' ';
    cmd += quote(a);
  }
  cmd.append(" >").append(quote(out_log)).append(" 2>").append(quote(err_log));
  cmd.append(" </dev/null");
  const int status = std::system(cmd.c_str());
  RunResult r;
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.out = read_bytes(out_log);
  r.err = read_bytes(err_log);
  return r;
}

// Settings small enough for a run of about a second on the tiny data.
std::vector<std::string> small_settings() {
  return {"--patch-size", "4", "--dict-size", "64", "--embed-dim",   "4", "--dict-threshold", "0.9",
          "--threshold",  "1", "--knn-k",     "5",  "--pool-window", "2", "--pool-stride",    "2"};
}

// small_settings() with some values replaced or added: {"--dict-size", "0"}, ...
std::vector<std::string> settings_with(
    const std::vector<std::pair<std::string, std::string>>& changes) {
  std::vector<std::string> s = small_settings();
  for (const auto& [flag, value] : changes) {
    auto it = std::find(s.begin(), s.end(), flag);
    if (it != s.end()) {
      *(it + 1) = value;
    } else {
      s.push_back(flag);
      s.push_back(value);
    }
  }
  return s;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// A failed run: non-zero exit, exactly one "smt: error:" line on stderr that
// mentions every string in `mentions`, and nothing left in out/.
void expect_clean_failure(const TempDir& tmp, const RunResult& r,
                          const std::vector<std::string>& mentions) {
  EXPECT_GT(r.exit_code, 0) << "stderr:\n" << r.err;
  EXPECT_NE(r.exit_code, 3) << "an internal error instead of a user error:\n" << r.err;
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "expected a single error line on stderr, got:\n" << r.err;
  EXPECT_EQ(lines[0].rfind("smt: error: ", 0), 0u) << lines[0];
  for (const auto& m : mentions)
    EXPECT_NE(lines[0].find(m), std::string::npos)
        << "message does not mention '" << m << "': " << lines[0];
  EXPECT_TRUE(tmp.out_entries().empty())
      << "files left in the output directory, the first: " << tmp.out_entries().front();
}

// `smt run` on the dataset in tmp.data() writing metrics into out/, with
// small_settings() changed by `changes`, plus extra raw args.
RunResult run_with(const TempDir& tmp,
                   const std::vector<std::pair<std::string, std::string>>& changes,
                   const std::vector<std::string>& extra = {}, const std::string& data_dir = "") {
  return run_smt(tmp,
                 concat(concat({"run", "-q", "--data", data_dir.empty() ? tmp.data() : data_dir,
                                "--metrics", tmp.out("m.json")},
                               settings_with(changes)),
                        extra));
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// ---------------------------------------------------------------------------
// Bad input: data

// A build without MPI says so, and refuses to be one of several processes an
// MPI launcher started (rather than run the whole job N times); a build with
// MPI says that instead (its distributed runs are tested under mpirun).
TEST(Cli, BuildSaysWhetherItHasTheDistributedMode) {
  TempDir tmp;
  const RunResult version = run_smt(tmp, {"--version"});
  ASSERT_EQ(version.exit_code, 0) << version.err;
  if (version.out.find("without MPI") == std::string::npos) {
    EXPECT_NE(version.out.find("distributed mode: MPI"), std::string::npos) << version.out;
    return;
  }
  ASSERT_EQ(setenv("OMPI_COMM_WORLD_SIZE", "2", 1), 0);
  const RunResult r = run_smt(tmp, {"run", "--data", tmp.data()});
  unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("built without MPI"), std::string::npos) << r.err;
  EXPECT_TRUE(tmp.out_entries().empty());
}

TEST(Cli, MissingDataDirIsReported) {
  TempDir tmp;
  const std::string missing = tmp.file("no-such-dir");
  expect_clean_failure(tmp, run_with(tmp, {}, {}, missing), {missing});
}

TEST(Cli, TruncatedImagesFileIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string path = tmp.data("train-images-idx3-ubyte");
  const std::string bytes = read_bytes(path);
  write_bytes(path, bytes.substr(0, bytes.size() - 100));
  expect_clean_failure(tmp, run_with(tmp, {}), {path, "truncated"});
}

TEST(Cli, TruncatedImagesHeaderIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string path = tmp.data("t10k-images-idx3-ubyte");
  write_bytes(path, read_bytes(path).substr(0, 10));
  expect_clean_failure(tmp, run_with(tmp, {}), {path, "truncated"});
}

TEST(Cli, LabelImageCountMismatchIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const Split train = make_split(59, 14, 1);
  const std::string labels = tmp.data("train-labels-idx1-ubyte");
  write_bytes(labels, idx_labels(0x801, train.labels));
  expect_clean_failure(tmp, run_with(tmp, {}), {labels, "59"});
}

TEST(Cli, WrongMagicIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const Split train = make_split(60, 14, 1);
  const std::string path = tmp.data("train-images-idx3-ubyte");
  write_bytes(path, idx_images(0x00000804, 60, 14, train.pixels));
  expect_clean_failure(tmp, run_with(tmp, {}), {path, "magic"});
}

TEST(Cli, LabelFileInPlaceOfImagesIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string path = tmp.data("t10k-images-idx3-ubyte");
  write_bytes(path, read_bytes(tmp.data("t10k-labels-idx1-ubyte")));
  expect_clean_failure(tmp, run_with(tmp, {}), {path});
}

TEST(Cli, CorruptGzipIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  fs::remove(tmp.data("train-images-idx3-ubyte"));
  const std::string path = tmp.data("train-images-idx3-ubyte.gz");
  // A plausible gzip member header followed by bytes that are not deflate data.
  std::string bytes = {'\x1f', '\x8b', '\x08', '\x00', '\x00',
                       '\x00', '\x00', '\x00', '\x00', '\x03'};
  for (int i = 0; i < 200; ++i) bytes.push_back(static_cast<char>(0xff - i));
  write_bytes(path, bytes);
  expect_clean_failure(tmp, run_with(tmp, {}), {path});
}

TEST(Cli, TruncatedGzipIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  fs::remove(tmp.data("train-images-idx3-ubyte"));
  const std::string path = tmp.data("train-images-idx3-ubyte.gz");
  // A stored (uncompressed) deflate block announcing 1000 bytes, cut after 20.
  std::string bytes = {'\x1f', '\x8b', '\x08', '\x00', '\x00', '\x00', '\x00', '\x00',
                       '\x00', '\x03', '\x01', '\xe8', '\x03', '\x17', '\xfc'};
  std::string header;
  put_be32(header, 0x803);
  put_be32(header, 60);
  put_be32(header, 14);
  put_be32(header, 14);
  bytes += header + "0123";
  write_bytes(path, bytes);
  expect_clean_failure(tmp, run_with(tmp, {}), {path});
}

TEST(Cli, ImagesSmallerThanThePatchAreReported) {
  TempDir tmp;
  write_dataset(tmp.data(), 60, 20, 4);
  expect_clean_failure(tmp, run_with(tmp, {{"--patch-size", "6"}}), {"--patch-size"});
}

// ---------------------------------------------------------------------------
// Bad input: parameters (checked before any data is read)

TEST(Cli, NanParameterIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(tmp, run_with(tmp, {{"--whiten-tol", "nan"}}), {"whiten-tol"});
}

TEST(Cli, NegativeParameterIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(tmp, run_with(tmp, {{"--whiten-tol", "-1"}}), {"whiten-tol"});
  expect_clean_failure(tmp, run_with(tmp, {}, {"--whiten-tol=-1"}), {"whiten-tol"});
}

TEST(Cli, ZeroDictSizeIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(tmp, run_with(tmp, {{"--dict-size", "0"}}), {"dict-size"});
}

TEST(Cli, NonNumericParameterIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(tmp, run_with(tmp, {{"--threshold", "abc"}}), {"--threshold", "abc"});
  expect_clean_failure(tmp, run_with(tmp, {{"--knn-k", "5x"}}), {"--knn-k"});
  expect_clean_failure(tmp, run_with(tmp, {{"--knn-k", "2.5"}}), {"knn-k"});
}

TEST(Cli, BadChoiceIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(tmp, run_with(tmp, {{"--dict-method", "random"}}),
                       {"dict-method", "random"});
}

TEST(Cli, EmbedDimPlusSkipNotBelowDictSizeIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(
      tmp, run_with(tmp, {{"--embed-dim", "40"}, {"--skip", "1"}, {"--dict-size", "32"}}),
      {"--embed-dim", "--dict-size"});
}

TEST(Cli, UnreachableDictThresholdIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(tmp, run_with(tmp, {{"--dict-threshold", "-0.9"}}), {"--dict-threshold"});
}

TEST(Cli, MemoryLimitBelowTheFixedPartsIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  expect_clean_failure(tmp, run_with(tmp, {{"--memory-limit", "0.01"}}), {"--memory-limit"});
}

// ---------------------------------------------------------------------------
// Bad input: config files, model files, output paths

TEST(Cli, UnknownConfigKeyIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string cfg = tmp.file("bad.json");
  write_bytes(cfg, R"({"patch-size": 4, "dict-sise": 64})");
  expect_clean_failure(tmp, run_with(tmp, {}, {"--config", cfg}), {cfg, "dict-sise"});
}

TEST(Cli, InvalidJsonConfigIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string cfg = tmp.file("broken.json");
  write_bytes(cfg, R"({"patch-size": 4, )");
  expect_clean_failure(tmp, run_with(tmp, {}, {"--config", cfg}), {cfg});
}

TEST(Cli, OutOfRangeConfigValueIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string cfg = tmp.file("range.json");
  write_bytes(cfg, R"({"whiten-tol": -1})");
  expect_clean_failure(tmp, run_with(tmp, {}, {"--config", cfg}), {cfg, "whiten-tol"});
}

// Fits a model on the test's small dataset; returns its path ("" on failure).
std::string fit_small_model(const TempDir& tmp) {
  const std::string model = tmp.file("x.smtm");
  RunResult fit =
      run_smt(tmp, concat({"fit", "-q", "--data", tmp.data(), "--model", model}, small_settings()));
  EXPECT_EQ(fit.exit_code, 0) << fit.err;
  return fit.exit_code == 0 ? model : "";
}

RunResult embed_with(const TempDir& tmp, const std::string& model) {
  return run_smt(tmp, {"embed", "-q", "--data", tmp.data(), "--model", model, "--out",
                       tmp.out("f.npy"), "--labels-out", tmp.out("l.npy")});
}

TEST(Cli, EmbedWithGarbageModelIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string model = tmp.file("garbage.smtm");
  write_bytes(model, "this is not a model file, just some text\n");
  RunResult r = embed_with(tmp, model);
  expect_clean_failure(tmp, r, {model});
}

TEST(Cli, EmbedWithTruncatedModelIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string model = fit_small_model(tmp);
  ASSERT_FALSE(model.empty());
  const std::string bytes = read_bytes(model);
  ASSERT_GT(bytes.size(), 64u);
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 1, std::size_t{10}}) {
    SCOPED_TRACE("model truncated to " + std::to_string(keep) + " of " +
                 std::to_string(bytes.size()) + " bytes");
    write_bytes(model, bytes.substr(0, keep));
    RunResult r = embed_with(tmp, model);
    expect_clean_failure(tmp, r, {model});
  }
}

TEST(Cli, EmbedWithCorruptedModelIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string model = fit_small_model(tmp);
  ASSERT_FALSE(model.empty());
  std::string bytes = read_bytes(model);
  ASSERT_GT(bytes.size(), 64u);
  // Flip bits in the middle of the payload: a checksum or a size check must catch it.
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 8; ++i)
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  write_bytes(model, bytes);
  RunResult r = run_smt(
      tmp, {"embed", "-q", "--data", tmp.data(), "--model", model, "--out", tmp.out("f.npy")});
  expect_clean_failure(tmp, r, {model});
}

TEST(Cli, ModelIntoMissingDirectoryIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  RunResult r = run_smt(tmp, concat({"fit", "-q", "--data", tmp.data(), "--model",
                                     tmp.out("no-such-dir/x.smtm"), "--metrics", tmp.out("m.json")},
                                    small_settings()));
  expect_clean_failure(tmp, r, {"--model", "no-such-dir"});
}

TEST(Cli, EmbedOutIntoMissingDirectoryIsReported) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string model = fit_small_model(tmp);
  ASSERT_FALSE(model.empty());
  RunResult r = run_smt(tmp, {"embed", "-q", "--data", tmp.data(), "--model", model, "--out",
                              tmp.out("no-such-dir/f.npy")});
  expect_clean_failure(tmp, r, {"no-such-dir"});
}

// ---------------------------------------------------------------------------
// Happy paths

TEST(Cli, RunWritesMetrics) {
  TempDir tmp;
  write_dataset(tmp.data());
  RunResult r = run_smt(
      tmp, concat({"run", "--data", tmp.data(), "--metrics", tmp.out("m.json")}, small_settings()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("top-1"), std::string::npos) << r.out;
  EXPECT_EQ(tmp.out_entries(), std::vector<std::string>{"m.json"});

  const json m = read_json(tmp.out("m.json"));
  for (const char* key :
       {"top1", "top5", "train_images", "test_images", "seconds", "peak_rss_bytes", "config"})
    EXPECT_TRUE(m.contains(key)) << "metrics lack '" << key << "': " << m.dump(2);
  // The whitening diagnostic: the patch covariance spectrum, largest first.
  const json& spectrum = m.at("fit").at("patch_covariance_eigenvalues");
  ASSERT_TRUE(spectrum.is_array() && !spectrum.empty()) << m.at("fit").dump(2);
  for (std::size_t i = 1; i < spectrum.size(); ++i)
    EXPECT_GE(spectrum[i - 1].get<double>(), spectrum[i].get<double>()) << i;
  const double top1 = m.at("top1").get<double>(), top5 = m.at("top5").get<double>();
  // Ten classes of distinct, barely jittered shapes, 20 test images: chance is
  // 0.1 (2 of 20); features that carry no class information reach 10 of 20
  // with probability below 1e-5. The pipeline gets 19 of 20 at these settings.
  EXPECT_GE(top1, 0.5) << "hardly better than chance (0.1)";
  EXPECT_LE(top1, top5);
  EXPECT_LE(top5, 1.0);
  EXPECT_EQ(m.at("train_images").get<int>(), 60);
  EXPECT_EQ(m.at("test_images").get<int>(), 20);
  const json& sec = m.at("seconds");
  ASSERT_TRUE(sec.is_object());
  ASSERT_TRUE(sec.contains("total"));
  EXPECT_GT(sec.at("total").get<double>(), 0.0);
  std::size_t stages = 0;
  for (auto it = sec.begin(); it != sec.end(); ++it) {
    EXPECT_TRUE(it.value().is_number()) << it.key();
    EXPECT_GE(it.value().get<double>(), 0.0) << it.key();
    if (it.key() != "total") ++stages;
  }
  EXPECT_GE(stages, 3u) << "expected per-stage times besides the total: " << sec.dump();
  for (const char* stage : {"dictionary"})
    EXPECT_TRUE(sec.contains(stage)) << "no '" << stage << "' time: " << sec.dump();
  EXPECT_GT(m.at("peak_rss_bytes").get<std::int64_t>(), 0);
  const json& cfg = m.at("config");
  EXPECT_EQ(cfg.at("patch-size"), 4);
  EXPECT_EQ(cfg.at("dict-size"), 64);
  EXPECT_EQ(cfg.at("embed-dim"), 4);
  EXPECT_EQ(cfg.at("knn-k"), 5);
  for (const auto& p : param_specs())
    EXPECT_TRUE(cfg.contains(p.name)) << "config in metrics lacks '" << p.name << "'";
}

// --context-mean channel end to end on colour data: the run completes, the
// resolved configuration says which removal ran, and it is not the default's
// (the patches differ, so does their covariance spectrum).
TEST(Cli, ContextMeanChannelRunsOnColourImages) {
  TempDir tmp;
  write_cifar10(tmp.data());
  json m[2];
  const char* modes[2] = {"channel", "all"};
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(modes[i]);
    const std::string metrics = tmp.file(std::string("m-") + modes[i] + ".json");
    RunResult r = run_smt(tmp, concat({"run", "-q", "--data", tmp.data(), "--metrics", metrics,
                                       "--context-mean", modes[i]},
                                      small_settings()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    m[i] = read_json(metrics);
    EXPECT_EQ(m[i].at("config").at("context-mean"), modes[i]);
    EXPECT_EQ(m[i].at("train_images").get<int>(), 50);
    EXPECT_EQ(m[i].at("test_images").get<int>(), 20);
    const double top1 = m[i].at("top1").get<double>();
    EXPECT_TRUE(std::isfinite(top1) && top1 >= 0.0 && top1 <= 1.0) << top1;
  }
  json channel_cfg = m[0].at("config"), all_cfg = m[1].at("config");
  EXPECT_NE(channel_cfg, all_cfg);
  // Apart from context-mean, the two runs had the same configuration.
  channel_cfg.erase("context-mean");
  all_cfg.erase("context-mean");
  EXPECT_EQ(channel_cfg, all_cfg);
  EXPECT_NE(m[0].at("fit").at("patch_covariance_eigenvalues"),
            m[1].at("fit").at("patch_covariance_eigenvalues"))
      << "--context-mean channel changed nothing in the patches";
}

TEST(Cli, FitEmbedEvalMatchesRun) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string model = tmp.file("x.smtm");

  RunResult run =
      run_smt(tmp, concat({"run", "-q", "--data", tmp.data(), "--metrics", tmp.file("run.json")},
                          small_settings()));
  ASSERT_EQ(run.exit_code, 0) << run.err;

  RunResult fit = run_smt(tmp, concat({"fit", "-q", "--data", tmp.data(), "--model", model,
                                       "--metrics", tmp.file("fit.json")},
                                      small_settings()));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  ASSERT_TRUE(fs::is_regular_file(model));
  EXPECT_EQ(read_json(tmp.file("fit.json")).at("train_images").get<int>(), 60);

  RunResult embed = run_smt(tmp, {"embed", "-q", "--data", tmp.data(), "--model", model, "--out",
                                  tmp.out("f.npy"), "--labels-out", tmp.out("l.npy")});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  EXPECT_EQ(tmp.out_entries(), (std::vector<std::string>{"f.npy", "l.npy"}));

  const NpyArray f = read_npy(tmp.out("f.npy"));
  EXPECT_EQ(f.descr, "<f4");
  ASSERT_EQ(f.shape.size(), 2u);
  EXPECT_EQ(f.shape[0], 20u);
  EXPECT_GT(f.shape[1], 0u);
  EXPECT_EQ(f.shape[1] % 4, 0u) << "feature_dim should be pooled positions x embed-dim 4";
  const std::vector<float> feats = f.as_float();
  ASSERT_EQ(feats.size(), f.shape[0] * f.shape[1]);
  EXPECT_TRUE(std::all_of(feats.begin(), feats.end(), [](float v) { return std::isfinite(v); }));
  EXPECT_TRUE(std::any_of(feats.begin(), feats.end(), [](float v) { return v != 0.0f; }));

  const NpyArray l = read_npy(tmp.out("l.npy"));
  EXPECT_EQ(l.descr, "<i4");
  ASSERT_EQ(l.shape, std::vector<std::size_t>{20});
  const std::vector<std::int32_t> labels = l.as_int32();
  const Split test = make_split(20, 14, 2);
  EXPECT_EQ(labels, std::vector<std::int32_t>(test.labels.begin(), test.labels.end()));

  // The training split too, with the embed-level --train-limit.
  RunResult embed_train =
      run_smt(tmp, {"embed", "-q", "--data", tmp.data(), "--model", model, "--split", "train",
                    "--train-limit", "30", "--out", tmp.file("train.npy")});
  ASSERT_EQ(embed_train.exit_code, 0) << embed_train.err;
  const NpyArray ft = read_npy(tmp.file("train.npy"));
  EXPECT_EQ(ft.shape, (std::vector<std::size_t>{30, f.shape[1]}));

  // The model carries every setting eval needs (knn-k included).
  RunResult eval = run_smt(tmp, {"eval", "-q", "--data", tmp.data(), "--model", model, "--metrics",
                                 tmp.file("eval.json")});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const json rm = read_json(tmp.file("run.json")), em = read_json(tmp.file("eval.json"));
  EXPECT_DOUBLE_EQ(em.at("top1").get<double>(), rm.at("top1").get<double>());
  EXPECT_DOUBLE_EQ(em.at("top5").get<double>(), rm.at("top5").get<double>());
  EXPECT_EQ(em.at("test_images").get<int>(), 20);
  EXPECT_EQ(em.at("evaluated_on"), rm.at("evaluated_on"));
  EXPECT_EQ(em.at("evaluated_on").get<std::string>(), "test");

  // eval refuses to change what the model fixed.
  RunResult bad_eval = run_smt(tmp, {"eval", "-q", "--data", tmp.data(), "--model", model,
                                     "--metrics", tmp.out("eval.json"), "--embed-dim", "3"});
  EXPECT_GT(bad_eval.exit_code, 0);
  EXPECT_NE(bad_eval.err.find("--embed-dim"), std::string::npos) << bad_eval.err;
  EXPECT_FALSE(fs::exists(tmp.out("eval.json")));

  // Preprocessing is the model's too: before, embed and eval silently
  // accepted --context-mean and changed how images became features.
  for (const std::string out : {"--metrics", "--out"}) {
    const std::string sub = out == "--out" ? "embed" : "eval";
    RunResult r = run_smt(tmp, {sub, "-q", "--data", tmp.data(), "--model", model, out,
                                tmp.out("refused"), "--context-mean", "channel"});
    EXPECT_GT(r.exit_code, 0) << sub;
    EXPECT_NE(r.err.find("--context-mean is fixed by the model file"), std::string::npos)
        << sub << ": " << r.err;
    EXPECT_FALSE(fs::exists(tmp.out("refused"))) << sub;
  }
  // k-NN settings are evaluation parameters: eval takes them.
  RunResult k3 =
      run_smt(tmp, {"eval", "-q", "--data", tmp.data(), "--model", model, "--knn-k", "3"});
  EXPECT_EQ(k3.exit_code, 0) << k3.err;
}

// A model fitted with --validation N carries N, and embed then writes the
// same two sets run and eval use: "test" is the held-out training images (not
// the test split), "train" the images the model was fitted on.
TEST(Cli, EmbedOfAValidationModelWritesTheHeldOutAndFitImages) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string model = tmp.file("v.smtm");
  RunResult fit = run_smt(
      tmp, concat({"fit", "-q", "--data", tmp.data(), "--model", model, "--validation", "10"},
                  small_settings()));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;

  const Split train = make_split(60, 14, 1);
  smt::ImageSet fit_part;
  fit_part.height = fit_part.width = 14;
  fit_part.channels = 1;
  fit_part.num_classes = 10;
  fit_part.pixels = train.pixels;
  fit_part.labels.assign(train.labels.begin(), train.labels.end());
  const smt::ImageSet held_out = smt::hold_out(fit_part, 10, 0);
  ASSERT_EQ(held_out.size(), 10u);

  for (const auto& [split, expected] : {std::pair{std::string("test"), held_out.labels},
                                        std::pair{std::string("train"), fit_part.labels}}) {
    RunResult embed = run_smt(
        tmp, {"embed", "-q", "--data", tmp.data(), "--model", model, "--split", split, "--out",
              tmp.file(split + ".npy"), "--labels-out", tmp.file(split + "-l.npy")});
    ASSERT_EQ(embed.exit_code, 0) << embed.err;
    EXPECT_EQ(read_npy(tmp.file(split + ".npy")).shape[0], expected.size()) << split;
    const std::vector<std::int32_t> labels = read_npy(tmp.file(split + "-l.npy")).as_int32();
    EXPECT_EQ(std::vector<int>(labels.begin(), labels.end()), expected) << split;
  }
  // --validation 0 overrides the model's and writes the test split.
  RunResult test_split = run_smt(tmp, {"embed", "-q", "--data", tmp.data(), "--model", model,
                                       "--validation", "0", "--out", tmp.file("t.npy")});
  ASSERT_EQ(test_split.exit_code, 0) << test_split.err;
  EXPECT_EQ(read_npy(tmp.file("t.npy")).shape[0], 20u);
}

TEST(Cli, ConfigFileIsAppliedAndCommandLineWins) {
  TempDir tmp;
  write_dataset(tmp.data());
  const std::string cfg = tmp.file("c.json");
  write_bytes(cfg, R"({
    "_comment": "keys starting with an underscore are annotations",
    "patch-size": 4, "dict-size": 64, "embed-dim": 4, "dict-threshold": 0.9,
    "threshold": 1, "knn-k": 5, "pool-window": 2, "pool-stride": 2,
    "knn-temperature": 0.05, "flip": false
  })");
  RunResult r = run_smt(tmp, {"run", "-q", "--data", tmp.data(), "--config", cfg, "--metrics",
                              tmp.out("m.json"), "--knn-k", "3", "--embed-dim", "6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json c = read_json(tmp.out("m.json")).at("config");
  EXPECT_EQ(c.at("patch-size"), 4);  // from the file
  EXPECT_EQ(c.at("dict-size"), 64);  // from the file
  EXPECT_DOUBLE_EQ(c.at("knn-temperature").get<double>(), 0.05);
  EXPECT_EQ(c.at("flip"), false);
  EXPECT_EQ(c.at("knn-k"), 3);      // command line over the file
  EXPECT_EQ(c.at("embed-dim"), 6);  // command line over the file
  EXPECT_EQ(c.at("stride"), 1);     // default
  EXPECT_FALSE(c.contains("_comment"));
}

TEST(Cli, HelpListsEveryParameter) {
  TempDir tmp;
  for (const char* sub : {"run", "fit", "eval"}) {
    SCOPED_TRACE(sub);
    RunResult r = run_smt(tmp, {sub, "--help"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& p : param_specs()) {
      const std::string flag = "--" + p.name;
      // Whole-word match: "--pool-stride" must not count as "--stride".
      bool found = false;
      for (std::size_t pos = r.out.find(flag); pos != std::string::npos;
           pos = r.out.find(flag, pos + 1)) {
        const char before = pos == 0 ? ' ' : r.out[pos - 1];
        const std::size_t end = pos + flag.size();
        const char after = end < r.out.size() ? r.out[end] : ' ';
        if ((before == ' ' || before == ',') && after != '-' && !std::isalnum(after)) found = true;
      }
      EXPECT_TRUE(found) << "`smt " << sub << " --help` does not list " << flag << ":\n" << r.out;
    }
  }
}

TEST(Cli, UnknownOptionAndMissingSubcommandFail) {
  TempDir tmp;
  EXPECT_NE(run_smt(tmp, {}).exit_code, 0);
  RunResult r = run_smt(tmp, {"run", "--no-such-option", "1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("no-such-option"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace smt
