#include "smt/io/binary_format.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>

#include "smt/io/atomic_file.h"

namespace smt {
namespace {

constexpr std::size_t kMagicBytes = 8;
constexpr std::size_t kHeaderBytes = kMagicBytes + 4 + 4 + 8;
constexpr std::size_t kTrailerBytes = 4;
// Far above any real tag; a larger length means the file is damaged.
constexpr std::uint32_t kMaxTagBytes = 4096;

// zlib's crc32 takes a 32-bit length, so large payloads go in chunks.
std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  uLong c = crc;
  while (n > 0) {
    const std::size_t chunk = std::min<std::size_t>(n, std::size_t{1} << 30);
    c = ::crc32(c, p, static_cast<uInt>(chunk));
    p += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(c);
}

// Writes little-endian fields while keeping the running file checksum.
class ChecksummedOut {
 public:
  explicit ChecksummedOut(std::ostream& os) : os_(os) {}
  void bytes(const void* data, std::size_t n) {
    if (n == 0) return;
    os_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    crc_ = crc32_update(crc_, data, n);
  }
  void u32(std::uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    bytes(b, 4);
  }
  void u64(std::uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    bytes(b, 8);
  }
  std::uint32_t crc() const { return crc_; }

 private:
  std::ostream& os_;
  std::uint32_t crc_ = 0;
};

std::uint64_t load_le(const char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

}  // namespace

std::uint32_t crc32_bytes(const void* data, std::size_t bytes, std::uint32_t crc) {
  return crc32_update(crc, data, bytes);
}

// ---------------------------------------------------------------------------
// SectionWriter

void SectionWriter::check_new(const std::string& tag, std::size_t bytes,
                              std::uint32_t element_size) const {
  SMT_CHECK(!tag.empty() && tag.size() <= kMaxTagBytes, "section tag '", tag, "' must be 1..",
            kMaxTagBytes, " bytes");
  SMT_CHECK(element_size > 0 && bytes % element_size == 0, "section '", tag, "': ", bytes,
            " bytes is not a whole number of ", element_size, "-byte elements");
  for (const Section& s : sections_) {
    SMT_CHECK(s.tag != tag, "section '", tag, "' added twice to one file");
  }
}

void SectionWriter::add(const std::string& tag, const void* data, std::size_t bytes,
                        std::uint32_t element_size) {
  check_new(tag, bytes, element_size);
  Section s{tag, element_size, {}, 0, {}};
  if (bytes != 0) {
    const char* p = static_cast<const char*>(data);
    s.payload.assign(p, p + bytes);
  }
  sections_.push_back(std::move(s));
}

void SectionWriter::add_produced(const std::string& tag, std::size_t bytes,
                                 std::uint32_t element_size,
                                 std::function<void(const Sink&)> produce) {
  check_new(tag, bytes, element_size);
  SMT_CHECK(produce, "section '", tag, "': no producer");
  sections_.push_back(Section{tag, element_size, {}, bytes, std::move(produce)});
}

void SectionWriter::add_i64(const std::string& tag, std::int64_t value) {
  add(tag, &value, sizeof(value), sizeof(value));
}

void SectionWriter::add_f64(const std::string& tag, double value) {
  add(tag, &value, sizeof(value), sizeof(value));
}

void SectionWriter::add_string(const std::string& tag, const std::string& value) {
  add(tag, value.data(), value.size(), 1);
}

void SectionWriter::save(const std::string& path, const char magic[8],
                         std::uint32_t version) const {
  write_file_atomically(path, [&](std::ostream& os) { write(os, magic, version); });
}

void SectionWriter::write(std::ostream& os, const char magic[8], std::uint32_t version) const {
  std::uint64_t total = 0;
  for (const Section& s : sections_) total += s.size();
  {
    ChecksummedOut out(os);
    out.bytes(magic, kMagicBytes);
    out.u32(version);
    out.u32(static_cast<std::uint32_t>(sections_.size()));
    out.u64(total);
    for (const Section& s : sections_) {
      out.u32(static_cast<std::uint32_t>(s.tag.size()));
      out.bytes(s.tag.data(), s.tag.size());
      out.u32(s.element_size);
      out.u64(s.size());
      if (!s.produce) {
        out.u32(crc32_update(0, s.payload.data(), s.payload.size()));
        out.bytes(s.payload.data(), s.payload.size());
        continue;
      }
      std::uint32_t crc = 0;
      std::size_t counted = 0;
      s.produce([&](const void* data, std::size_t n) {
        crc = crc32_update(crc, data, n);
        counted += n;
      });
      SMT_CHECK(counted == s.produced_bytes, "section '", s.tag, "': its producer gave ", counted,
                " bytes, not the ", s.produced_bytes, " announced");
      out.u32(crc);
      s.produce([&](const void* data, std::size_t n) { out.bytes(data, n); });
    }
    out.u32(out.crc());
  }
  SMT_CHECK(os.good(), "writing the model to a stream failed (I/O error)");
}

// ---------------------------------------------------------------------------
// SectionReader

SectionReader::SectionReader(const std::string& path, const char magic[8],
                             std::uint32_t max_version)
    : path_(path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    SMT_THROW("cannot read '", path, "': it is a directory, not a model file");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    SMT_THROW("cannot open model file '", path, "': ", std::strerror(errno), "; check the path");
  }
  const std::streamoff end = in.tellg();
  SMT_CHECK(end >= 0, "cannot read '", path, "': cannot determine its size");
  data_.resize(static_cast<std::size_t>(end));
  in.seekg(0);
  if (!data_.empty()) in.read(data_.data(), static_cast<std::streamsize>(data_.size()));
  SMT_CHECK(in.good(), "cannot read '", path, "': I/O error");
  parse(magic, max_version);
}

SectionReader::SectionReader(std::istream& in, const std::string& name, const char magic[8],
                             std::uint32_t max_version)
    : path_(name) {
  data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  SMT_CHECK(!in.bad(), "cannot read ", name, ": I/O error");
  parse(magic, max_version);
}

void SectionReader::parse(const char magic[8], std::uint32_t max_version) {
  const std::string& path = path_;
  const std::size_t size = data_.size();
  const char* d = data_.data();
  if (size >= kMagicBytes && std::memcmp(d, magic, kMagicBytes) != 0) {
    SMT_THROW("'", path, "' is not an smt model file (wrong magic bytes)");
  }
  if (size < kHeaderBytes + kTrailerBytes) {
    SMT_THROW("'", path, "' is truncated (", size, " bytes, shorter than the ",
              kHeaderBytes + kTrailerBytes, "-byte minimum); re-save or re-copy it");
  }
  version_ = static_cast<std::uint32_t>(load_le(d + 8, 4));
  if (version_ > max_version) {
    SMT_THROW("'", path, "' was written by a newer smt (format v", version_,
              ", this build reads ≤ v", max_version, "); upgrade smt to load it");
  }
  SMT_CHECK(version_ >= 1, "'", path, "' is corrupted (format version 0)");
  const std::uint64_t count = load_le(d + 12, 4);
  const std::uint64_t declared_total = load_le(d + 16, 8);

  // Structure first, so that a cut-off file reads as "truncated" rather than
  // as a checksum failure.
  const std::size_t end_of_sections = size - kTrailerBytes;
  std::size_t pos = kHeaderBytes;
  std::uint64_t total = 0;
  std::vector<std::pair<std::string, std::uint32_t>> crcs;
  auto need = [&](std::uint64_t n, const std::string& what) {
    if (n > end_of_sections - pos) {
      SMT_THROW("'", path, "' is truncated (", what, " needs ", n, " bytes, only ",
                end_of_sections - pos, " remain); re-save or re-copy it");
    }
  };
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string where = str_cat("section ", i + 1, " of ", count);
    need(4, where);
    const std::uint64_t tag_len = load_le(d + pos, 4);
    pos += 4;
    SMT_CHECK(tag_len >= 1 && tag_len <= kMaxTagBytes, "'", path, "' is corrupted (", where,
              " has a ", tag_len, "-byte tag)");
    need(tag_len + 4 + 8 + 4, where);
    std::string tag(d + pos, static_cast<std::size_t>(tag_len));
    pos += static_cast<std::size_t>(tag_len);
    const auto element_size = static_cast<std::uint32_t>(load_le(d + pos, 4));
    const std::uint64_t bytes = load_le(d + pos + 4, 8);
    const auto crc = static_cast<std::uint32_t>(load_le(d + pos + 12, 4));
    pos += 16;
    need(bytes, str_cat("section '", tag, "'"));
    SMT_CHECK(element_size > 0 && bytes % element_size == 0, "'", path, "' is corrupted (section '",
              tag, "' holds ", bytes, " bytes of ", element_size, "-byte elements)");
    const Entry entry{element_size, pos, static_cast<std::size_t>(bytes)};
    SMT_CHECK(sections_.emplace(tag, entry).second, "'", path,
              "' is corrupted (duplicate section '", tag, "')");
    crcs.emplace_back(std::move(tag), crc);
    pos += static_cast<std::size_t>(bytes);
    total += bytes;
  }
  SMT_CHECK(pos == end_of_sections, "'", path, "' is corrupted (", end_of_sections - pos,
            " unexpected bytes after the last section)");
  SMT_CHECK(total == declared_total, "'", path, "' is corrupted (header declares ", declared_total,
            " payload bytes, sections hold ", total, ")");

#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // Fuzzing builds (SMT_FUZZ) skip the checksums: a mutated file would almost
  // never get past them, and the parsers behind them are what is fuzzed.
  for (const auto& [tag, crc] : crcs) {
    const Entry& e = sections_.at(tag);
    SMT_CHECK(crc32_update(0, d + e.offset, e.bytes) == crc, "'", path,
              "' is corrupted (checksum mismatch in section '", tag, "')");
  }
  const auto file_crc = static_cast<std::uint32_t>(load_le(d + end_of_sections, 4));
  SMT_CHECK(crc32_update(0, d, end_of_sections) == file_crc, "'", path,
            "' is corrupted (file checksum mismatch)");
#endif
}

std::vector<std::string> SectionReader::tags() const {
  std::vector<std::string> out;
  for (const auto& [tag, entry] : sections_) out.push_back(tag);
  return out;
}

const SectionReader::Entry& SectionReader::find(const std::string& tag) const {
  const auto it = sections_.find(tag);
  if (it == sections_.end()) {
    SMT_THROW("model file '", path_, "' has no section '", tag,
              "'; it was written by an incompatible smt or for a different purpose");
  }
  return it->second;
}

const SectionReader::Entry& SectionReader::checked_scalar(const std::string& tag,
                                                          std::size_t bytes) const {
  const Entry& e = find(tag);
  SMT_CHECK(e.bytes == bytes && e.element_size == bytes, "section '", tag, "' of '", path_,
            "' holds ", e.bytes, " bytes of ", e.element_size, "-byte elements, expected one ",
            bytes, "-byte value");
  return e;
}

const SectionReader::Entry& SectionReader::checked_array(const std::string& tag,
                                                         std::size_t element_size,
                                                         std::size_t expected_count) const {
  const Entry& e = find(tag);
  SMT_CHECK(e.element_size == element_size, "section '", tag, "' of '", path_, "' has ",
            e.element_size, "-byte elements, expected ", element_size, "-byte elements");
  const std::size_t count = e.bytes / element_size;
  SMT_CHECK(expected_count == SIZE_MAX || count == expected_count, "section '", tag, "' of '",
            path_, "' has ", count, " elements, expected ", expected_count);
  return e;
}

std::int64_t SectionReader::i64(const std::string& tag) const {
  const Entry& e = checked_scalar(tag, sizeof(std::int64_t));
  std::int64_t v;
  std::memcpy(&v, data_.data() + e.offset, sizeof(v));
  return v;
}

double SectionReader::f64(const std::string& tag) const {
  const Entry& e = checked_scalar(tag, sizeof(double));
  double v;
  std::memcpy(&v, data_.data() + e.offset, sizeof(v));
  return v;
}

std::string SectionReader::str(const std::string& tag) const {
  const Entry& e = find(tag);
  SMT_CHECK(e.element_size == 1, "section '", tag, "' of '", path_, "' is not a string (it has ",
            e.element_size, "-byte elements)");
  return std::string(data_.data() + e.offset, e.bytes);
}

}  // namespace smt
