#include "server/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace wharf::server {

namespace fs = std::filesystem;

Status PrepareDataDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FieldError("data-dir", "cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return Ok();
}

Result<fs::path> ChooseAdminDataDir(const std::string& flag_value, bool given, bool create, std::ostream& note) {
  std::string chosen = flag_value, source = "--data-dir";
  if (!given) {
    if (const char* v = std::getenv("WHARF_DATA_DIR"); v && *v) {
      chosen = v;
      source = "WHARF_DATA_DIR";
    } else {
      source = "the default; pass --data-dir or set WHARF_DATA_DIR to choose";
    }
  }
  std::error_code ec;
  fs::path abs = fs::absolute(chosen, ec);
  if (ec) abs = chosen;
  note << "wharf: data directory " << abs.string() << " (" << source << ")\n";
  if (fs::is_directory(abs, ec)) return abs;
  if (fs::exists(abs, ec)) return FieldError("data-dir", abs.string() + " exists but is not a directory");
  if (!create)
    return FieldError("data-dir", "no data directory at " + abs.string() +
                                      "; give the right --data-dir, or add --create to make a new, empty one");
  ::umask(077);
  WHARF_TRY(PrepareDataDir(abs));
  note << "wharf: created " << abs.string() << " (mode 0700)\n";
  return abs;
}

Status LockDataDir(const fs::path& dir, const std::string& purpose) {
  const fs::path path = dir / "wharf.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return FieldError("data-dir", "cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    if (err != EWOULDBLOCK)
      return Err(ErrorCode::kUnavailable, "cannot lock " + path.string() + ": " + std::strerror(err));
    return Err(ErrorCode::kConflict,
               "another Wharf process (pid " + (pid.empty() ? std::string("unknown") : pid) + ") is using the data directory " +
                   dir.string() + "; " + purpose);
  }
  // Held (never closed) until the process exits; the kernel drops the lock then, even on a crash.
  std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size()))
    return Err(ErrorCode::kUnavailable, "cannot write " + path.string());
  return Ok();
}

std::vector<nlohmann::json> TightenDataDirModes(const fs::path& dir) {
  std::vector<nlohmann::json> fixes;
  auto tighten = [&](const fs::path& p, mode_t want) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return;
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return;  // symlinks, sockets: leave alone
    mode_t was = st.st_mode & 07777;
    if ((was & 077) == 0) return;
    if (::chmod(p.c_str(), want) != 0) {
      fixes.push_back({{"path", p.string()}, {"was", fmt::format("{:04o}", was)}, {"now", fmt::format("{:04o}", was)},
                       {"error", std::strerror(errno)}});
      return;
    }
    fixes.push_back({{"path", p.string()}, {"was", fmt::format("{:04o}", was)}, {"now", fmt::format("{:04o}", want)}});
  };
  tighten(dir, 0700);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && !e.is_symlink(ec)) tighten(e.path(), 0600);
  return fixes;
}

Status CheckMasterKeyOpensDataKeys(store::Store& store, const secrets::Envelope& envelope) {
  std::optional<domain::Org> sample;
  WHARF_TRY(store.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto orgs, tx.orgs().ListAll());
    if (!orgs.empty()) sample = std::move(orgs.front());
    return Ok();
  }));
  if (!sample || envelope.Rewrap(sample->wrapped_data_key, sample->id, envelope)) return Ok();
  return Err(ErrorCode::kUnavailable,
             "This master key does not open the organisation data keys in the database. Every replica (and a "
             "migrated instance) must use the same master key: copy master.key or set WHARF_MASTER_KEY_FILE.");
}

}  // namespace wharf::server
