#include "store/testing/pg_test_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace wharf::store::testing {

namespace fs = std::filesystem;

namespace {

// The newest /usr/lib/postgresql/<version>/bin holding initdb (or $WHARF_PG_BIN).
std::string FindBinDir() {
  if (const char* env = std::getenv("WHARF_PG_BIN"); env && *env) return env;
  std::string best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int v = std::atoi(e.path().filename().c_str());
    if (v > best_version && fs::exists(e.path() / "bin" / "initdb")) {
      best_version = v;
      best = (e.path() / "bin").string();
    }
  }
  return best;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Runs argv directly (no shell: nothing in an argument is ever interpreted), capturing stdout and
// stderr together; returns the exit status and the output.
std::pair<int, std::string> Run(const std::vector<std::string>& argv) {
  int fds[2];
  // Close-on-exec: only the dup2 copies (stdout, stderr) reach the child, so a daemon it starts
  // (pg_ctl start) cannot hold the pipe open and hang the read below.
  if (::pipe2(fds, O_CLOEXEC) != 0) return {-1, "pipe failed"};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  std::string out;
  std::array<char, 4096> buf;
  ssize_t n;
  while ((n = ::read(fds[0], buf.data(), buf.size())) > 0) out.append(buf.data(), static_cast<size_t>(n));
  ::close(fds[0]);
  if (rc != 0) return {-1, "cannot start " + argv[0] + ": " + std::strerror(rc)};
  int st = 0;
  ::waitpid(pid, &st, 0);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<std::unique_ptr<PgTestServer>> PgTestServer::Start() {
  std::unique_ptr<PgTestServer> s(new PgTestServer());
  s->bin_ = FindBinDir();
  if (s->bin_.empty())
    return Err(ErrorCode::kUnavailable, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                                        "apt-get install postgresql, or run `make deps`");
  char tmpl[] = "/tmp/wharf-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) return Err(ErrorCode::kUnavailable, "mkdtemp failed");
  s->dir_ = tmpl;
  if (::geteuid() == 0) {
    passwd* pw = ::getpwnam("postgres");
    if (!pw) return Err(ErrorCode::kUnavailable, "running as root but there is no `postgres` OS user to run PostgreSQL as");
    if (::chown(s->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return Err(ErrorCode::kUnavailable, "chown failed");
    s->as_user_ = {"runuser", "-u", "postgres", "--"};
  }
  s->port_ = FreePort();
  const std::string data = s->dir_ + "/data";
  auto [rc, out] = Run(s->AsPostgres({s->bin_ + "/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                       "--no-locale", "--no-sync", "--no-instructions"}));
  if (rc != 0) return Err(ErrorCode::kUnavailable, "initdb failed: " + out);
  const std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(s->port_) + " -k " + s->dir_ +
                           " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
  std::tie(rc, out) =
      Run(s->AsPostgres({s->bin_ + "/pg_ctl", "-D", data, "-l", s->dir_ + "/server.log", "-w", "-t", "60", "-o", opts, "start"}));
  if (rc != 0) return Err(ErrorCode::kUnavailable, "pg_ctl start failed: " + out + ReadFile(s->dir_ + "/server.log"));
  return s;
}

PgTestServer::~PgTestServer() {
  if (dir_.empty()) return;
  if (port_ && fs::exists(dir_ + "/data/postmaster.pid"))
    (void)Run(AsPostgres({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}));
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> PgTestServer::AsPostgres(std::vector<std::string> argv) const {
  argv.insert(argv.begin(), as_user_.begin(), as_user_.end());
  return argv;
}

std::string PgTestServer::Url(std::string_view db) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(db);
}

Result<std::string> PgTestServer::Psql(std::string_view db, std::string_view sql) {
  auto [rc, out] = Run({bin_ + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                        std::to_string(port_), "-U", "postgres", "-d", std::string(db), "-c", std::string(sql)});
  if (rc != 0) return Err(ErrorCode::kInternal, "psql failed: " + out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

Result<std::string> PgTestServer::Dump(std::string_view db) {
  auto [rc, out] = Run({bin_ + "/pg_dump", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres", std::string(db)});
  if (rc != 0) return Err(ErrorCode::kInternal, "pg_dump failed: " + out);
  return out;
}

Result<std::string> PgTestServer::CreateDatabase(std::string_view name) {
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return Err(ErrorCode::kValidationFailed, "database names are [a-z0-9_]");
  WHARF_TRY(Psql("postgres", "CREATE DATABASE " + std::string(name)));
  return Url(name);
}

}  // namespace wharf::store::testing
