#include "smt/io/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "smt/core/error.h"

namespace smt {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFixHint =
    "re-download it (scripts/get-data.sh) or check that SMT_DATA_DIR points at intact MNIST files";

constexpr std::uint32_t kImageMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr std::uint32_t kLabelMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr std::uint32_t kMaxSide = 4096;
// Image/label counts are later used as ints by callers.
constexpr std::uint32_t kMaxCount = static_cast<std::uint32_t>(std::numeric_limits<int>::max());

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Sequential bytes of a stream, transparently inflating gzip content (one or
// more concatenated members). Streaming keeps memory bounded by what the IDX
// header announces rather than by what a damaged file claims to expand to.
class ByteSource {
 public:
  ByteSource(std::istream& in, const std::string& path) : path_(path), file_(in) {
    std::array<char, 2> magic{};
    file_.read(magic.data(), magic.size());
    gzip_ = file_.gcount() == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
            static_cast<unsigned char>(magic[1]) == 0x8b;
    file_.clear();
    file_.seekg(0);
    if (gzip_) {
      in_buf_.resize(std::size_t{1} << 16);
      // 15 + 16: largest window, expect a gzip (not zlib) wrapper.
      const int rc = inflateInit2(&zs_, 15 + 16);
      SMT_CHECK(rc == Z_OK, "cannot initialise zlib to read '", path, "' (zlib error ", rc, ")");
    }
  }
  ~ByteSource() {
    if (gzip_) inflateEnd(&zs_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  bool gzip() const { return gzip_; }

  // Bytes left in an uncompressed stream, or SIZE_MAX when unknown (gzip
  // content, or a stream that cannot seek).
  std::size_t raw_remaining() {
    if (gzip_) return SIZE_MAX;
    const std::streampos here = file_.tellg();
    if (here < 0) return SIZE_MAX;
    file_.seekg(0, std::ios::end);
    const std::streampos end = file_.tellg();
    file_.clear();
    file_.seekg(here);
    return end < here ? SIZE_MAX : static_cast<std::size_t>(end - here);
  }

  // Passes over up to n bytes (fewer only at the end of the data): an
  // uncompressed file seeks, gzip content has to be inflated through.
  std::size_t skip(std::size_t n) {
    if (const std::size_t left = raw_remaining(); left != SIZE_MAX) {
      const std::size_t k = std::min(n, left);
      file_.seekg(static_cast<std::streamoff>(k), std::ios::cur);
      SMT_CHECK(!file_.fail(), "I/O error while seeking in IDX file '", path_, "'");
      return k;
    }
    std::array<std::uint8_t, 1 << 16> scratch{};
    std::size_t done = 0;
    while (done < n) {
      const std::size_t want = std::min(n - done, scratch.size());
      const std::size_t got = read(scratch.data(), want);
      done += got;
      if (got < want) break;
    }
    return done;
  }

  // Reads up to n bytes into dst; fewer only at the end of the data.
  std::size_t read(std::uint8_t* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      // avail_out / streamsize limits: go in bounded pieces.
      const std::size_t want = std::min<std::size_t>(n - done, std::size_t{1} << 30);
      const std::size_t got = gzip_ ? read_gzip(dst + done, want) : read_raw(dst + done, want);
      done += got;
      if (got < want) break;
    }
    return done;
  }

 private:
  std::size_t read_raw(std::uint8_t* dst, std::size_t n) {
    file_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    SMT_CHECK(!file_.bad(), "I/O error while reading IDX file '", path_, "'");
    return static_cast<std::size_t>(file_.gcount());
  }

  // Refills the compressed input buffer; false at the end of the file.
  bool fill_input() {
    file_.read(reinterpret_cast<char*>(in_buf_.data()),
               static_cast<std::streamsize>(in_buf_.size()));
    SMT_CHECK(!file_.bad(), "I/O error while reading IDX file '", path_, "'");
    const auto got = static_cast<std::size_t>(file_.gcount());
    zs_.next_in = in_buf_.data();
    zs_.avail_in = static_cast<uInt>(got);
    return got > 0;
  }

  std::size_t read_gzip(std::uint8_t* dst, std::size_t n) {
    if (stream_done_) return 0;
    zs_.next_out = dst;
    zs_.avail_out = static_cast<uInt>(n);
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0 && !fill_input()) {
        SMT_THROW("gzip stream of '", path_, "' ends early (the compressed file is truncated); ",
                  kFixHint);
      }
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Either the end of the data or the start of another gzip member.
        if (zs_.avail_in == 0 && !fill_input()) {
          stream_done_ = true;
          break;
        }
        SMT_CHECK(zs_.next_in[0] == 0x1f, "'", path_,
                  "' has unexpected data after the end of its gzip stream; ", kFixHint);
        SMT_CHECK(inflateReset(&zs_) == Z_OK, "cannot reset zlib while reading '", path_, "'");
      } else if (rc != Z_OK) {
        const std::string detail = zs_.msg ? zs_.msg : "error " + std::to_string(rc);
        SMT_THROW("corrupt gzip data in '", path_, "' (zlib: ", detail, "); ", kFixHint);
      }
    }
    return n - zs_.avail_out;
  }

  std::string path_;
  std::istream& file_;
  bool gzip_ = false;
  bool stream_done_ = false;
  z_stream zs_{};
  std::vector<std::uint8_t> in_buf_;
};

struct IdxHeader {
  std::uint32_t count = 0;
  std::uint32_t rows = 1;
  std::uint32_t cols = 1;
};

IdxHeader read_header(ByteSource& src, const std::string& path, bool images) {
  const std::size_t header_len = images ? 16 : 8;
  std::array<std::uint8_t, 16> h{};
  const char* kind = images ? "image" : "label";
  // The magic first, so a short file of the wrong kind (a label file passed as
  // images) is reported as such rather than as truncated.
  std::size_t got = src.read(h.data(), 4);
  SMT_CHECK(got == 4, "IDX ", kind, " file '", path, "' is truncated: expected a ", header_len,
            "-byte header, found ", got, " bytes; ", kFixHint);

  const std::uint32_t magic = be32(h.data());
  const std::uint32_t want = images ? kImageMagic : kLabelMagic;
  if (magic != want) {
    const std::uint32_t other = images ? kLabelMagic : kImageMagic;
    SMT_CHECK(magic != other, "'", path, "' is an IDX ", images ? "label" : "image",
              " file, but an ", kind,
              " file was expected; check the order of the image and label paths");
    SMT_THROW("'", path, "' is not an IDX ", kind, " file: magic number ", hex32(magic),
              ", expected ", hex32(want), " (unsigned bytes, ", images ? 3 : 1,
              images ? " dimensions)" : " dimension)", "; ", kFixHint);
  }

  got += src.read(h.data() + 4, header_len - 4);
  SMT_CHECK(got == header_len, "IDX ", kind, " file '", path, "' is truncated: expected a ",
            header_len, "-byte header, found ", got, " bytes; ", kFixHint);

  IdxHeader out;
  out.count = be32(h.data() + 4);
  SMT_CHECK(out.count > 0, "IDX ", kind, " file '", path, "' holds 0 ", kind,
            "s; pass a non-empty file");
  SMT_CHECK(out.count <= kMaxCount, "IDX ", kind, " file '", path, "' announces ", out.count, " ",
            kind, "s, more than supported (", kMaxCount, "); the file is corrupt; ", kFixHint);
  if (images) {
    out.rows = be32(h.data() + 8);
    out.cols = be32(h.data() + 12);
    SMT_CHECK(out.rows > 0 && out.cols > 0 && out.rows <= kMaxSide && out.cols <= kMaxSide,
              "IDX image file '", path, "' announces images of ", out.rows, "x", out.cols,
              " pixels; each side must be 1..", kMaxSide, ", so the header is corrupt; ", kFixHint);
  }
  return out;
}

// Reads the payload of `count` records of `record_bytes` each and returns
// the records at `indices` (ascending; nullptr: all), then checks that
// nothing follows. The whole payload is checked whichever records are kept,
// so every caller sees the same errors; the others are passed over (skip).
std::vector<std::uint8_t> read_records(ByteSource& src, const std::string& path, std::size_t count,
                                       std::size_t record_bytes,
                                       const std::vector<std::size_t>* indices, const char* what) {
  const std::size_t expected = count * record_bytes;
  // An uncompressed file's length is known: check it before allocating, so a
  // header announcing billions of images fails at once.
  const std::size_t available = src.raw_remaining();
  if (available != SIZE_MAX && available < expected) {
    SMT_THROW("IDX file '", path, "' is truncated: expected ", expected, " bytes of ", what,
              ", found ", available, "; ", kFixHint);
  }
  std::vector<std::uint8_t> data;
  if (available != SIZE_MAX) data.reserve((indices ? indices->size() : count) * record_bytes);
  // Compressed data: grow in chunks so a header that lies about the size
  // cannot force a huge allocation before the truncation is detected.
  constexpr std::size_t kChunk = std::size_t{1} << 22;
  std::size_t consumed = 0;  // payload bytes read or passed over
  auto check_complete = [&](bool complete) {
    SMT_CHECK(complete, "IDX file '", path, "' is truncated: expected ", expected, " bytes of ",
              what, ", found ", consumed, "; ", kFixHint);
  };
  // Passes over the payload up to the start of record r.
  auto pass_to = [&](std::size_t r) {
    const std::size_t want = r * record_bytes - consumed;
    const std::size_t n = src.skip(want);
    consumed += n;
    check_complete(n == want);
  };
  // Reads the payload up to the start of record r into data.
  auto keep_to = [&](std::size_t r) {
    while (consumed < r * record_bytes) {
      const std::size_t want = std::min(kChunk, r * record_bytes - consumed);
      const std::size_t have = data.size();
      data.resize(have + want);
      const std::size_t n = src.read(data.data() + have, want);
      consumed += n;
      if (n < want) data.resize(have + n);
      check_complete(n == want);
    }
  };
  if (indices == nullptr) {
    keep_to(count);
  } else {
    for (std::size_t k = 0; k < indices->size();) {
      std::size_t end = k + 1;  // a run of consecutive records: one read
      while (end < indices->size() && (*indices)[end] == (*indices)[end - 1] + 1) ++end;
      pass_to((*indices)[k]);
      keep_to((*indices)[end - 1] + 1);
      k = end;
    }
    pass_to(count);
  }

  std::size_t trailing = 0;
  std::array<std::uint8_t, 4096> scratch{};
  for (std::size_t n; (n = src.read(scratch.data(), scratch.size())) > 0;) trailing += n;
  SMT_CHECK(trailing == 0, "IDX file '", path, "' has ", trailing, " unexpected bytes after the ",
            expected, " bytes of ", what,
            " its header announces; the file is corrupt or not an IDX file; ", kFixHint);
  return data;
}

// Standard MNIST file names for one split and kind, in lookup order.
std::vector<std::string> candidate_names(bool train, bool images) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string kind = images ? "images" : "labels";
  const std::string idx = images ? "idx3-ubyte" : "idx1-ubyte";
  // Raw before .gz: same content, no inflating needed.
  return {prefix + "-" + kind + "-" + idx, prefix + "-" + kind + "-" + idx + ".gz",
          prefix + "-" + kind + "." + idx, prefix + "-" + kind + "." + idx + ".gz"};
}

// The first candidate present in dir, or "" when none is.
std::string find_file(const std::string& dir, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    const fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Opens an IDX file for reading, with messages for the usual mistakes.
std::ifstream open_idx(const std::string& path) {
  std::error_code ec;
  SMT_CHECK(fs::exists(path, ec), "IDX file '", path, "' does not exist; ", kFixHint);
  SMT_CHECK(!fs::is_directory(path, ec), "IDX file '", path,
            "' is a directory, expected a file; ", kFixHint);
  std::ifstream in(path, std::ios::binary);
  SMT_CHECK(in.is_open(), "cannot open IDX file '", path, "': ", std::strerror(errno),
            "; check its permissions");
  return in;
}

struct MnistFiles {
  std::string images, labels;
};

// The split's image and label files in `dir`, with messages naming the names looked for.
MnistFiles find_mnist_files(const std::string& dir, bool train) {
  std::error_code ec;
  SMT_CHECK(fs::is_directory(dir, ec), "MNIST directory '", dir,
            "' does not exist; run scripts/get-data.sh or set SMT_DATA_DIR");
  const auto image_names = candidate_names(train, /*images=*/true);
  const auto label_names = candidate_names(train, /*images=*/false);
  MnistFiles f{find_file(dir, image_names), find_file(dir, label_names)};
  const char* split = train ? "training" : "test";
  SMT_CHECK(!f.images.empty(), "no MNIST ", split, " images in '", dir, "': expected one of ",
            join(image_names), "; run scripts/get-data.sh or set SMT_DATA_DIR");
  SMT_CHECK(!f.labels.empty(), "no MNIST ", split, " labels in '", dir, "': expected one of ",
            join(label_names), "; run scripts/get-data.sh or set SMT_DATA_DIR");
  return f;
}

// read_idx with the images at `indices` (nullptr: all).
ImageSet read_idx_images(std::istream& images, const std::string& images_path, std::istream& labels,
                         const std::string& labels_path, const std::vector<std::size_t>* indices) {
  ByteSource image_src(images, images_path);
  ByteSource label_src(labels, labels_path);
  // Both headers first: a mismatched pair fails before reading ~50 MB.
  const IdxHeader ih = read_header(image_src, images_path, /*images=*/true);
  const IdxHeader lh = read_header(label_src, labels_path, /*images=*/false);
  SMT_CHECK(ih.count == lh.count, "image file '", images_path, "' holds ", ih.count,
            " images but label file '", labels_path, "' holds ", lh.count,
            " labels; pass the image and label files of the same split");
  if (indices) check_image_indices(*indices, ih.count, "'" + images_path + "'");

  ImageSet set;
  set.height = static_cast<int>(ih.rows);
  set.width = static_cast<int>(ih.cols);
  set.channels = 1;
  set.source = images_path;
  set.pixels = read_records(image_src, images_path, ih.count, std::size_t{ih.rows} * ih.cols,
                            indices, "pixel data");
  const std::vector<std::uint8_t> raw_labels =
      read_records(label_src, labels_path, lh.count, 1, nullptr, "label data");
  if (indices) {
    for (std::size_t i : *indices) set.labels.push_back(raw_labels[i]);
  } else {
    set.labels.assign(raw_labels.begin(), raw_labels.end());
  }
  // From all labels, so that a subset has the split's class count.
  set.num_classes = *std::max_element(raw_labels.begin(), raw_labels.end()) + 1;
  return set;
}

}  // namespace

ImageSet read_idx(const std::string& images_path, const std::string& labels_path) {
  std::ifstream images = open_idx(images_path);
  std::ifstream labels = open_idx(labels_path);
  return read_idx(images, images_path, labels, labels_path);
}

ImageSet read_idx(std::istream& images, const std::string& images_path, std::istream& labels,
                  const std::string& labels_path) {
  return read_idx_images(images, images_path, labels, labels_path, nullptr);
}

ImageSet read_idx(const std::string& images_path, const std::string& labels_path,
                  const std::vector<std::size_t>& indices) {
  std::ifstream images = open_idx(images_path);
  std::ifstream labels = open_idx(labels_path);
  return read_idx(images, images_path, labels, labels_path, indices);
}

ImageSet read_idx(std::istream& images, const std::string& images_path, std::istream& labels,
                  const std::string& labels_path, const std::vector<std::size_t>& indices) {
  return read_idx_images(images, images_path, labels, labels_path, &indices);
}

std::vector<int> read_idx_labels(const std::string& labels_path) {
  std::ifstream in = open_idx(labels_path);
  ByteSource src(in, labels_path);
  const IdxHeader h = read_header(src, labels_path, /*images=*/false);
  const std::vector<std::uint8_t> raw =
      read_records(src, labels_path, h.count, 1, nullptr, "label data");
  return std::vector<int>(raw.begin(), raw.end());
}

ImageSet load_mnist(const std::string& dir, bool train) {
  const MnistFiles f = find_mnist_files(dir, train);
  return read_idx(f.images, f.labels);
}

SplitListing list_mnist(const std::string& dir, bool train) {
  const MnistFiles f = find_mnist_files(dir, train);
  SplitListing l;
  l.format = DatasetFormat::kMnist;
  l.files = {f.images, f.labels};
  l.labels = read_idx_labels(f.labels);
  l.num_classes = *std::max_element(l.labels.begin(), l.labels.end()) + 1;
  l.source = f.images;
  return l;
}

bool looks_like_idx_dir(const std::string& dir) {
  return !find_file(dir, candidate_names(/*train=*/true, /*images=*/true)).empty() &&
         !find_file(dir, candidate_names(/*train=*/true, /*images=*/false)).empty();
}

std::string find_mnist_dir(const std::string& dir) {
  for (const std::string& d : {dir, (fs::path(dir) / "mnist").string()})
    if (looks_like_idx_dir(d)) return d;
  return "";
}

}  // namespace smt
