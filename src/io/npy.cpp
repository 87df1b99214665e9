#include "smt/io/npy.h"

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <ostream>

#include "smt/io/atomic_file.h"
#include "smt/core/error.h"

namespace smt {
namespace {

static_assert(std::endian::native == std::endian::little,
              "write_npy stores '<' (little-endian) data straight from memory");

constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kPreambleV1 = 10;  // magic, 2 version bytes, u16 header length
// NumPy aligns the data to 64 bytes so that it can be memory-mapped.
constexpr std::size_t kAlign = 64;

// Product of the dimensions, or 0 with `overflow` set when it does not fit.
std::size_t element_count(const std::vector<std::size_t>& shape, std::size_t item_size,
                          bool* overflow) {
  std::size_t n = 1;
  *overflow = false;
  for (std::size_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::size_t>::max() / item_size / d) {
      *overflow = true;
      return 0;
    }
    n *= d;
  }
  return n;
}

// Python's repr of a tuple: "()", "(5,)", "(2, 3)".
std::string shape_repr(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

void write_npy_raw(const std::string& path, const char* descr, const void* data,
                   std::size_t item_size, const std::vector<std::size_t>& shape) {
  bool overflow = false;
  const std::size_t count = element_count(shape, item_size, &overflow);
  SMT_CHECK(!overflow, "cannot write '", path, "': shape ", shape_repr(shape), " is too large");
  SMT_CHECK(count == 0 || data != nullptr, "cannot write '", path, "': no data");

  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  const std::size_t unpadded = kPreambleV1 + header.size() + 1;  // +1 for '\n'
  header.append((kAlign - unpadded % kAlign) % kAlign, ' ');
  header += '\n';
  SMT_CHECK(header.size() <= 0xFFFF, "cannot write '", path, "': shape ", shape_repr(shape),
            " has too many dimensions for .npy format 1.0");

  write_file_atomically(path, [&](std::ostream& os) {
    const auto len = static_cast<std::uint16_t>(header.size());
    const char version_and_len[4] = {1, 0, static_cast<char>(len & 0xFF),
                                     static_cast<char>(len >> 8)};
    os.write(kMagic, sizeof(kMagic));
    os.write(version_and_len, sizeof(version_and_len));
    os.write(header.data(), static_cast<std::streamsize>(header.size()));
    if (count != 0) {
      os.write(static_cast<const char*>(data), static_cast<std::streamsize>(count * item_size));
    }
  });
}

// --- Minimal parser for the header dict NumPy writes (a Python literal). ---

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  // Position just after "'key':" (either quote style), or fails.
  std::size_t value_of(const std::string& key) const {
    for (const char q : {'\'', '"'}) {
      const std::string needle = std::string(1, q) + key + q;
      std::size_t p = s_.find(needle);
      if (p == std::string::npos) continue;
      p = skip_space(p + needle.size());
      if (p < s_.size() && s_[p] == ':') return skip_space(p + 1);
    }
    fail(str_cat("no '", key, "' entry"));
  }

  std::string quoted(std::size_t p) const {
    if (p >= s_.size() || (s_[p] != '\'' && s_[p] != '"')) fail("'descr' is not a string");
    const std::size_t end = s_.find(s_[p], p + 1);
    if (end == std::string::npos) fail("unterminated string");
    return s_.substr(p + 1, end - p - 1);
  }

  bool boolean(std::size_t p) const {
    if (s_.compare(p, 4, "True") == 0) return true;
    if (s_.compare(p, 5, "False") == 0) return false;
    fail("'fortran_order' is not True or False");
  }

  std::vector<std::size_t> tuple(std::size_t p) const {
    if (p >= s_.size() || s_[p] != '(') fail("'shape' is not a tuple");
    std::vector<std::size_t> dims;
    p = skip_space(p + 1);
    while (p < s_.size() && s_[p] != ')') {
      if (!std::isdigit(static_cast<unsigned char>(s_[p]))) fail("bad 'shape' entry");
      std::size_t v = 0;
      while (p < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p]))) {
        const auto digit = static_cast<std::size_t>(s_[p] - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) fail("'shape' overflows");
        v = v * 10 + digit;
        ++p;
      }
      // Python 2 era files may write "3L".
      if (p < s_.size() && s_[p] == 'L') ++p;
      dims.push_back(v);
      p = skip_space(p);
      if (p < s_.size() && s_[p] == ',') {
        p = skip_space(p + 1);
      } else if (p < s_.size() && s_[p] != ')') {
        fail("bad 'shape' separator");
      }
    }
    if (p >= s_.size()) fail("unterminated 'shape'");
    return dims;
  }

  [[noreturn]] void fail(const std::string& what) const {
    SMT_THROW("'", path_, "' has a malformed .npy header (", what, ")");
  }

 private:
  std::size_t skip_space(std::size_t p) const {
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) ++p;
    return p;
  }

  const std::string& s_;
  const std::string& path_;
};

// Element size from a dtype string such as "<f4" or "|u1".
std::size_t parse_item_size(const std::string& descr, const HeaderParser& parser) {
  if (descr.size() < 3 || std::string("<>|=").find(descr[0]) == std::string::npos ||
      !std::isalpha(static_cast<unsigned char>(descr[1]))) {
    parser.fail(str_cat("unsupported dtype '", descr, "'"));
  }
  std::size_t n = 0;
  for (std::size_t i = 2; i < descr.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(descr[i])) || n > 1024) {
      parser.fail(str_cat("unsupported dtype '", descr, "'"));
    }
    n = n * 10 + static_cast<std::size_t>(descr[i] - '0');
  }
  if (n == 0) parser.fail(str_cat("unsupported dtype '", descr, "'"));
  return n;
}

}  // namespace

void write_npy(const std::string& path, const float* data, const std::vector<std::size_t>& shape) {
  write_npy_raw(path, "<f4", data, sizeof(float), shape);
}

void write_npy(const std::string& path, const std::int32_t* data,
               const std::vector<std::size_t>& shape) {
  write_npy_raw(path, "<i4", data, sizeof(std::int32_t), shape);
}

std::size_t NpyArray::count() const {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

std::vector<float> NpyArray::as_float() const {
  SMT_CHECK(descr == "<f4", "'", path, "' holds '", descr,
            "' data, expected float32 ('<f4'); convert it with arr.astype(np.float32)");
  std::vector<float> out(count());
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

std::vector<std::int32_t> NpyArray::as_int32() const {
  SMT_CHECK(descr == "<i4", "'", path, "' holds '", descr,
            "' data, expected int32 ('<i4'); convert it with arr.astype(np.int32)");
  std::vector<std::int32_t> out(count());
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(std::int32_t));
  return out;
}

NpyArray read_npy(const std::string& path) {
  std::error_code ec;
  SMT_CHECK(!std::filesystem::is_directory(path, ec), "cannot read '", path,
            "': it is a directory, not a .npy file");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) SMT_THROW("cannot open '", path, "': ", std::strerror(errno), "; check the path");
  return read_npy(in, path);
}

NpyArray read_npy(std::istream& in, const std::string& path) {
  // The length first: every size in the header is checked against it.
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  SMT_CHECK(end >= 0, "cannot read '", path, "': cannot determine its size");
  const auto size = static_cast<std::size_t>(end);
  in.seekg(0);

  char pre[12] = {};
  const std::size_t pre_bytes = std::min<std::size_t>(size, sizeof(pre));
  in.read(pre, static_cast<std::streamsize>(pre_bytes));
  SMT_CHECK(in.good(), "cannot read '", path, "': I/O error");
  if (pre_bytes >= 6 && std::memcmp(pre, kMagic, 6) != 0) {
    SMT_THROW("'", path, "' is not a .npy file (wrong magic bytes)");
  }
  SMT_CHECK(pre_bytes >= kPreambleV1, "'", path, "' is truncated (", size,
            " bytes, too short for a .npy header)");
  const auto major = static_cast<unsigned char>(pre[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(pre[8]) |
                 static_cast<std::size_t>(static_cast<unsigned char>(pre[9])) << 8;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    SMT_CHECK(pre_bytes >= 12, "'", path, "' is truncated (", size,
              " bytes, too short for a .npy header)");
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<std::size_t>(static_cast<unsigned char>(pre[8 + i])) << (8 * i);
    }
    header_start = 12;
  } else {
    SMT_THROW("'", path, "' uses .npy format version ", int{major},
              ", which smt does not read (1.x-3.x)");
  }
  SMT_CHECK(header_len <= size - header_start, "'", path, "' is truncated (header declares ",
            header_len, " bytes, the file holds ", size - header_start, " after the preamble)");

  std::string header(header_len, '\0');
  in.seekg(static_cast<std::streamoff>(header_start));
  if (header_len != 0) in.read(header.data(), static_cast<std::streamsize>(header_len));
  SMT_CHECK(in.good(), "cannot read '", path, "': I/O error");

  NpyArray arr;
  arr.path = path;
  const HeaderParser parser(header, path);
  if (header.empty() || header.back() != '\n') parser.fail("header does not end with a newline");
  arr.descr = parser.quoted(parser.value_of("descr"));
  arr.item_size = parse_item_size(arr.descr, parser);
  if (arr.descr[0] == '>' && arr.item_size > 1) {
    SMT_THROW("'", path, "' holds big-endian '", arr.descr,
              "' data, which smt does not read; save it little-endian (arr.astype('<f4'))");
  }
  if (parser.boolean(parser.value_of("fortran_order"))) {
    SMT_THROW("'", path, "' is stored in Fortran order, which smt does not read; ",
              "save np.ascontiguousarray(arr) instead");
  }
  arr.shape = parser.tuple(parser.value_of("shape"));

  bool overflow = false;
  const std::size_t count = element_count(arr.shape, arr.item_size, &overflow);
  const std::size_t data_bytes = size - header_start - header_len;
  SMT_CHECK(!overflow, "'", path, "' is corrupted (shape ", shape_repr(arr.shape),
            " is impossibly large)");
  if (data_bytes < count * arr.item_size) {
    SMT_THROW("'", path, "' is truncated (shape ", shape_repr(arr.shape), " needs ",
              count * arr.item_size, " data bytes, the file holds ", data_bytes, ")");
  }
  SMT_CHECK(data_bytes == count * arr.item_size, "'", path, "' is corrupted (",
            data_bytes - count * arr.item_size, " unexpected bytes after the data)");
  arr.bytes.resize(data_bytes);
  if (data_bytes != 0) in.read(arr.bytes.data(), static_cast<std::streamsize>(data_bytes));
  SMT_CHECK(in.good(), "cannot read '", path, "': I/O error");
  return arr;
}

}  // namespace smt
