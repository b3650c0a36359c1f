#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <toml++/toml.h>

namespace wharf::cli {

namespace fs = std::filesystem;

Context* Config::Find(std::string_view name) {
  for (auto& c : contexts)
    if (c.name == name) return &c;
  return nullptr;
}

void Config::Upsert(Context c) {
  if (Context* old = Find(c.name)) {
    *old = std::move(c);
  } else {
    contexts.push_back(std::move(c));
  }
}

bool Config::Remove(std::string_view name) {
  for (auto it = contexts.begin(); it != contexts.end(); ++it) {
    if (it->name == name) {
      contexts.erase(it);
      if (current == name) current.clear();
      return true;
    }
  }
  return false;
}

fs::path ConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg == '/') return fs::path(xdg) / "wharf" / "config.toml";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".config" / "wharf" / "config.toml";
}

Result<Config> LoadConfig(const fs::path& path) {
  Config cfg;
  std::error_code ec;
  if (!fs::exists(path, ec)) return cfg;
  toml::table t;
  try {
    t = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << path.string() << " line " << e.source().begin.line;
    return Err(ErrorCode::kValidationFailed,
               where.str() + " is not valid TOML (" + std::string(e.description()) + "); fix or delete it");
  }
  cfg.current = t["current"].value_or(std::string());
  if (const toml::table* ctxs = t["contexts"].as_table()) {
    for (const auto& [name, node] : *ctxs) {
      const toml::table* c = node.as_table();
      if (!c) continue;
      Context x;
      x.name = std::string(name.str());
      x.url = (*c)["url"].value_or(std::string());
      x.token = (*c)["token"].value_or(std::string());
      x.org = (*c)["org"].value_or(std::string());
      x.email = (*c)["email"].value_or(std::string());
      cfg.contexts.push_back(std::move(x));
    }
  }
  return cfg;
}

Status SaveConfig(const fs::path& path, const Config& config) {
  std::error_code ec;
  fs::path dir = path.parent_path();
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return Err(ErrorCode::kInternal, "Cannot create " + dir.string() + ": " + ec.message());
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  toml::table root;
  root.insert("current", config.current);
  toml::table ctxs;
  for (const auto& c : config.contexts) {
    toml::table t;
    t.insert("url", c.url);
    if (!c.email.empty()) t.insert("email", c.email);
    if (!c.org.empty()) t.insert("org", c.org);
    if (!c.token.empty()) t.insert("token", c.token);
    ctxs.insert(c.name, std::move(t));
  }
  root.insert("contexts", std::move(ctxs));
  std::ostringstream text;
  text << "# Wharf command-line client contexts. Holds sign-in tokens: keep this file private (mode 0600).\n";
  text << root << "\n";
  const std::string body = text.str();

  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Err(ErrorCode::kInternal, "Cannot write " + tmp.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);  // the umask may have narrowed it further, never widened; make it exact
  size_t off = 0;
  while (off < body.size()) {
    ssize_t n = ::write(fd, body.data() + off, body.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Err(ErrorCode::kInternal, "Cannot write " + tmp.string() + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Err(ErrorCode::kInternal, "Cannot replace " + path.string() + ": " + std::strerror(e));
  }
  return Ok();
}

}  // namespace wharf::cli
