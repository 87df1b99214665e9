#include "smt/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "smt/core/error.h"

namespace smt {
namespace {

namespace fs = std::filesystem;

// A random suffix keeps concurrent writers (threads or processes) of the same
// path from sharing a temporary.
std::string temp_path_for(const std::string& path) {
  std::random_device rd;
  const std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(r));
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + hex;
}

fs::path parent_dir(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// Why a file could not be created in the directory of `path`, with the fix.
std::string explain_create_failure(const std::string& path, int err) {
  const fs::path dir = parent_dir(path);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return str_cat("directory '", dir.string(), "' does not exist; create it first");
  }
  if (!fs::is_directory(dir, ec)) return str_cat("'", dir.string(), "' is not a directory");
  return str_cat("cannot create a file in '", dir.string(), "' (", std::strerror(err),
                 "); check that the directory is writable");
}

// Removes the temporary unless the write completed.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void release() { path_.clear(); }

 private:
  std::string path_;
};

// Forces the data to disk so that a crash after the rename cannot leave a
// file of the right name but with missing contents.
void fsync_file(const std::string& tmp, const std::string& path) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    SMT_THROW("cannot write '", path, "': reopening the temporary file failed (",
              std::strerror(err), ")");
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    SMT_THROW("cannot write '", path, "': fsync failed (", std::strerror(err),
              "); is the disk full or failing?");
  }
}

// Best effort: makes the rename itself durable. Some file systems refuse
// fsync on directories, and the data is already safe, so errors are ignored.
void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  SMT_CHECK(!path.empty(), "cannot write a file with an empty path");
  const std::string tmp = temp_path_for(path);
  TempFileGuard guard(tmp);
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      const int err = errno;
      SMT_THROW("cannot write '", path, "': ", explain_create_failure(path, err));
    }
    const char* const kNoSpace =
        "the file system refused the data (disk full, quota, or a file-size limit such as "
        "ulimit -f); free space or write to another directory";
    try {
      write(out);
    } catch (const std::exception& e) {
      // A stream that failed under the writer is the disk, not the data.
      if (out.bad()) SMT_THROW("cannot write '", path, "': ", kNoSpace);
      SMT_THROW("cannot write '", path, "': ", e.what());
    } catch (...) {
      SMT_THROW("cannot write '", path, "': unknown error while producing the contents");
    }
    out.flush();
    if (!out) SMT_THROW("cannot write '", path, "': ", kNoSpace);
    out.close();
    if (out.fail()) SMT_THROW("cannot write '", path, "': closing the file failed");
  }
  fsync_file(tmp, path);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    SMT_THROW("cannot write '", path, "': renaming the temporary into place failed (",
              std::strerror(err), ")");
  }
  guard.release();
  fsync_dir(parent_dir(path));
}

}  // namespace smt
