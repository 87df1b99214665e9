#include "smt/io/cifar_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "smt/core/error.h"

namespace smt {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCifar10Hint =
    "download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and unpack it "
    "(scripts/get-cifar10.sh says how)";
constexpr const char* kCifar100Hint =
    "download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz and unpack it";

constexpr std::size_t kPlane = kCifarSide * kCifarSide;
constexpr std::size_t kReadRecords = 1024;  // records per read: ~3 MB

// One label byte of a record and its range.
struct LabelByte {
  std::size_t offset;
  int num_classes;
  const char* kind;  // "label", "fine label", "coarse label"
};

// One binary CIFAR layout: fixed-size records, label bytes, then the pixels.
struct RecordFormat {
  const char* name;               // "CIFAR-10", for messages
  std::size_t record;             // bytes per record
  std::vector<LabelByte> labels;  // all are validated
  std::size_t used;               // the one that becomes the label
  const char* hint;
};

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// Checks that `size` bytes are a non-empty whole number of records.
void check_record_bytes(std::size_t size, const std::string& name, const RecordFormat& f) {
  SMT_CHECK(size > 0, f.name, " file '", name, "' is empty; ", f.hint);
  SMT_CHECK(size % f.record == 0, f.name, " file '", name, "' is ", size,
            " bytes, not a multiple of the ", f.name, " record size ", f.record, " (",
            f.record - kCifarPixelBytes, " label byte", f.record - kCifarPixelBytes > 1 ? "s" : "",
            " + ", kCifarPixelBytes, " pixel bytes): the file is truncated or not a ", f.name,
            " binary file; ", f.hint);
}

// Size of `path` after checking that it is a non-empty whole number of records.
std::size_t checked_size(const std::string& path, const RecordFormat& f) {
  std::error_code ec;
  SMT_CHECK(fs::exists(path, ec), f.name, " file '", path, "' does not exist; ", f.hint);
  SMT_CHECK(is_file(path), f.name, " file '", path, "' is not a regular file; ", f.hint);
  const std::uintmax_t size = fs::file_size(path, ec);
  SMT_CHECK(!ec, "cannot read the size of ", f.name, " file '", path, "': ", ec.message());
  check_record_bytes(static_cast<std::size_t>(size), path, f);
  return static_cast<std::size_t>(size);
}

// Throws naming the file unless every label byte of record r is in range.
void check_labels(const std::uint8_t* rec, std::size_t r, const std::string& name,
                  const RecordFormat& f) {
  for (const LabelByte& lb : f.labels) {
    SMT_CHECK(rec[lb.offset] < lb.num_classes, f.name, " file '", name, "': record ", r, " has ",
              lb.kind, " ", int{rec[lb.offset]}, ", expected 0..", lb.num_classes - 1,
              "; the file is corrupt or not a ", f.name, " binary file; ", f.hint);
  }
}

// Validates the whole records in `data` (records first_record.. of file
// `name`) and stores them from image `first` of `set` on, converting planes
// to channel-last.
void store_records(const std::uint8_t* data, std::size_t size, const std::string& name,
                   const RecordFormat& f, ImageSet& set, std::size_t first,
                   std::size_t first_record = 0) {
  for (std::size_t r = 0, n = first; r < size / f.record; ++r, ++n) {
    const std::uint8_t* rec = data + r * f.record;
    check_labels(rec, first_record + r, name, f);
    set.labels[n] = rec[f.labels[f.used].offset];
    // Planes (channel, row, column) -> channel-last (row, column, channel).
    const std::uint8_t* planes = rec + (f.record - kCifarPixelBytes);
    std::uint8_t* dst = set.pixels.data() + n * kCifarPixelBytes;
    for (std::size_t i = 0; i < kPlane; ++i) {
      dst[3 * i + 0] = planes[i];
      dst[3 * i + 1] = planes[kPlane + i];
      dst[3 * i + 2] = planes[2 * kPlane + i];
    }
  }
}

std::ifstream open_records(const std::string& path, const RecordFormat& f) {
  std::ifstream in(path, std::ios::binary);
  SMT_CHECK(in.is_open(), "cannot open ", f.name, " file '", path, "': ", std::strerror(errno));
  return in;
}

// Reads `bytes` bytes at `offset` of an open record file.
void read_at(std::ifstream& in, std::size_t offset, std::uint8_t* dst, std::size_t bytes,
             const std::string& path, const RecordFormat& f) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(bytes));
  SMT_CHECK(in && static_cast<std::size_t>(in.gcount()) == bytes, "I/O error while reading ",
            f.name, " file '", path, "' (expected ", bytes, " bytes at offset ", offset, ", read ",
            in.gcount(), ")");
}

std::string files_source(const std::vector<std::string>& paths) {
  return paths.size() == 1
             ? paths[0]
             : str_cat(paths.front(), " .. ", paths.back(), " (", paths.size(), " files)");
}

// An empty set of `count` CIFAR images in format f.
ImageSet allocate_set(std::size_t count, const RecordFormat& f) {
  ImageSet set;
  set.height = kCifarSide;
  set.width = kCifarSide;
  set.channels = 3;
  set.num_classes = f.labels[f.used].num_classes;
  set.pixels.resize(count * kCifarPixelBytes);
  set.labels.resize(count);
  return set;
}

// Reads the records at `indices` (ascending, into the concatenation of
// `paths`; nullptr: all) into one set, seeking past the others. Consecutive
// records of one file are read together, kReadRecords at most at a time.
ImageSet read_records(const std::vector<std::string>& paths, const RecordFormat& f,
                      const std::vector<std::size_t>* indices) {
  SMT_CHECK(!paths.empty(), "no ", f.name, " files given");
  std::vector<std::size_t> counts;
  std::size_t total = 0;
  for (const auto& p : paths) {
    counts.push_back(checked_size(p, f) / f.record);
    total += counts.back();
  }
  const std::string source = files_source(paths);
  if (indices) check_image_indices(*indices, total, source);
  const std::size_t chosen = indices ? indices->size() : total;
  auto record = [&](std::size_t j) { return indices ? (*indices)[j] : j; };

  ImageSet set = allocate_set(chosen, f);
  std::vector<std::uint8_t> buf;
  std::size_t k = 0, base = 0;  // the file of the current record, and its first record
  std::ifstream in;
  std::size_t open = paths.size();  // the file `in` reads
  for (std::size_t j = 0; j < chosen;) {
    const std::size_t first = record(j);
    while (first >= base + counts[k]) base += counts[k++];
    std::size_t run = 1;
    while (j + run < chosen && run < kReadRecords && record(j + run) == first + run &&
           first + run < base + counts[k])
      ++run;
    if (open != k) {
      in = open_records(paths[k], f);
      open = k;
    }
    buf.resize(run * f.record);
    read_at(in, (first - base) * f.record, buf.data(), buf.size(), paths[k], f);
    store_records(buf.data(), buf.size(), paths[k], f, set, j, first - base);
    j += run;
  }
  set.source = source;
  return set;
}

// The labels of every record of `paths`, each label byte validated. The
// records are read in pieces and only their label bytes kept: records are
// smaller than a page, so seeking to each label would read the same pages,
// in a syscall per record.
std::vector<int> read_labels(const std::vector<std::string>& paths, const RecordFormat& f) {
  std::vector<int> labels;
  std::vector<std::uint8_t> buf;
  for (const auto& path : paths) {
    const std::size_t count = checked_size(path, f) / f.record;
    std::ifstream in = open_records(path, f);
    for (std::size_t r = 0; r < count; r += kReadRecords) {
      const std::size_t n = std::min(kReadRecords, count - r);
      buf.resize(n * f.record);
      read_at(in, r * f.record, buf.data(), buf.size(), path, f);
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint8_t* rec = buf.data() + k * f.record;
        check_labels(rec, r + k, path, f);
        labels.push_back(rec[f.labels[f.used].offset]);
      }
    }
  }
  return labels;
}

// The records of one file held in memory.
ImageSet read_record_bytes(const std::uint8_t* data, std::size_t size, const std::string& name,
                           const RecordFormat& f) {
  check_record_bytes(size, name, f);
  ImageSet set = allocate_set(size / f.record, f);
  store_records(data, size, name, f, set, 0);
  set.source = name;
  return set;
}

RecordFormat cifar10_format() {
  return {"CIFAR-10", kCifar10RecordBytes, {{0, 10, "label"}}, 0, kCifar10Hint};
}

RecordFormat cifar100_format(bool coarse) {
  return {"CIFAR-100",
          kCifar100RecordBytes,
          {{0, 20, "coarse label"}, {1, 100, "fine label"}},
          coarse ? std::size_t{0} : std::size_t{1},
          kCifar100Hint};
}

std::vector<std::string> cifar10_names(bool train) {
  if (!train) return {"test_batch.bin"};
  std::vector<std::string> names;
  for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
  return names;
}

// `dir` or `dir`/sub when it holds any of `names`; "" otherwise.
std::string find_dir(const std::string& dir, const std::string& sub,
                     const std::vector<std::string>& names) {
  for (const fs::path& d : {fs::path(dir), fs::path(dir) / sub}) {
    for (const auto& name : names)
      if (is_file(d / name)) return d.string();
  }
  return "";
}

// Names from `file` in `dir` when that file exists; empty otherwise.
std::vector<std::string> optional_names(const std::string& dir, const char* file,
                                        std::size_t expected) {
  const fs::path p = fs::path(dir) / file;
  return is_file(p) ? read_class_names(p.string(), expected) : std::vector<std::string>{};
}

}  // namespace

ImageSet read_cifar10_batches(const std::vector<std::string>& paths) {
  return read_records(paths, cifar10_format(), nullptr);
}

ImageSet read_cifar100_file(const std::string& path, bool coarse) {
  return read_records({path}, cifar100_format(coarse), nullptr);
}

ImageSet read_cifar10_batches(const std::vector<std::string>& paths,
                              const std::vector<std::size_t>& indices) {
  return read_records(paths, cifar10_format(), &indices);
}

ImageSet read_cifar100_file(const std::string& path, bool coarse,
                            const std::vector<std::size_t>& indices) {
  return read_records({path}, cifar100_format(coarse), &indices);
}

ImageSet read_cifar10_bytes(const std::uint8_t* data, std::size_t size, const std::string& name) {
  return read_record_bytes(data, size, name, cifar10_format());
}

ImageSet read_cifar100_bytes(const std::uint8_t* data, std::size_t size, const std::string& name,
                             bool coarse) {
  return read_record_bytes(data, size, name, cifar100_format(coarse));
}

std::string find_cifar10_dir(const std::string& dir) {
  std::vector<std::string> names = cifar10_names(true);
  names.push_back("test_batch.bin");
  return find_dir(dir, "cifar-10-batches-bin", names);
}

std::string find_cifar100_dir(const std::string& dir) {
  return find_dir(dir, "cifar-100-binary", {"train.bin", "test.bin"});
}

SplitListing list_cifar10(const std::string& dir, bool train) {
  const std::string d = find_cifar10_dir(dir);
  SMT_CHECK(!d.empty(),
            "no CIFAR-10 batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin) in '", dir,
            "' or its cifar-10-batches-bin/ subdirectory; ", kCifar10Hint);
  std::vector<std::string> paths, missing;
  for (const auto& name : cifar10_names(train)) {
    const fs::path p = fs::path(d) / name;
    (is_file(p) ? paths : missing).push_back(p.string());
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    SMT_THROW("CIFAR-10 ", train ? "training" : "test", " split incomplete in '", d, "': missing ",
              list, "; ", kCifar10Hint);
  }
  SplitListing l;
  l.format = DatasetFormat::kCifar10;
  l.labels = read_labels(paths, cifar10_format());
  l.num_classes = 10;
  l.class_names = optional_names(d, "batches.meta.txt", 10);
  l.source = files_source(paths);
  l.files = std::move(paths);
  return l;
}

SplitListing list_cifar100(const std::string& dir, bool train, bool coarse) {
  const std::string d = find_cifar100_dir(dir);
  SMT_CHECK(!d.empty(), "no CIFAR-100 files (train.bin, test.bin) in '", dir,
            "' or its cifar-100-binary/ subdirectory; ", kCifar100Hint);
  const fs::path p = fs::path(d) / (train ? "train.bin" : "test.bin");
  SMT_CHECK(is_file(p), "CIFAR-100 ", train ? "training" : "test", " split missing: no '",
            p.string(), "'; ", kCifar100Hint);
  const RecordFormat f = cifar100_format(coarse);
  SplitListing l;
  l.format = DatasetFormat::kCifar100;
  l.files = {p.string()};
  l.cifar100_coarse = coarse;
  l.labels = read_labels(l.files, f);
  l.num_classes = f.labels[f.used].num_classes;
  l.class_names = coarse ? optional_names(d, "coarse_label_names.txt", 20)
                         : optional_names(d, "fine_label_names.txt", 100);
  l.source = p.string();
  return l;
}

ImageSet load_cifar10(const std::string& dir, bool train) {
  const SplitListing l = list_cifar10(dir, train);
  ImageSet set = read_cifar10_batches(l.files);
  set.class_names = l.class_names;
  return set;
}

ImageSet load_cifar100(const std::string& dir, bool train, bool coarse) {
  const SplitListing l = list_cifar100(dir, train, coarse);
  ImageSet set = read_cifar100_file(l.files[0], coarse);
  set.class_names = l.class_names;
  return set;
}

std::vector<std::string> read_class_names(const std::string& path, std::size_t expected) {
  std::ifstream in(path);
  SMT_CHECK(in.is_open(), "cannot open class-name file '", path, "': ", std::strerror(errno));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r\n");
    names.push_back(line.substr(first, last - first + 1));
  }
  SMT_CHECK(!in.bad(), "I/O error while reading class-name file '", path, "'");
  SMT_CHECK(expected == 0 || names.size() == expected, "class-name file '", path, "' lists ",
            names.size(), " names, expected ", expected, " (one per line)");
  return names;
}

}  // namespace smt
