#include "integrations/git.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/address.h"
#include "base/strings.h"
#include "http_client/http.h"

extern char** environ;

namespace wharf::integrations {

namespace {

constexpr TokenHostInfo kHosts[] = {
    {"gitlab", "GitLab", "https://gitlab.com", "oauth2", "read_repository",
     "https://HOST/GROUP[/SUBGROUP…]/PROJECT.git"},
    {"bitbucket", "Bitbucket", "https://bitbucket.org", "x-token-auth", "repository read (Repositories: Read)",
     "https://bitbucket.org/WORKSPACE/REPO.git (Bitbucket Data Center: https://HOST/scm/PROJECT/REPO.git)"},
    {"gitea", "Gitea", "", "", "read:repository", "https://HOST/OWNER/REPO.git"},
    {"azure_devops", "Azure DevOps", "https://dev.azure.com", "pat", "Code (Read)",
     "https://dev.azure.com/ORG/PROJECT/_git/REPO"},
};

bool SegmentOk(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~' || c == '%' ||
          c == '+'))
      return false;
  return true;
}

struct SplitUrl {
  std::string host;  // lower-cased host[:port]
  std::string path;  // without leading '/', may be empty
};

// https://host[:port][/path] with no userinfo, query or fragment. Messages never echo userinfo.
Result<SplitUrl> SplitHttps(std::string_view url, std::string_view field, std::string_view example) {
  if (StartsWith(url, "git@") || StartsWith(url, "ssh://"))
    return FieldError(field, "is an SSH URL; Wharf clones over HTTPS with the token: use the HTTPS clone URL, e.g. " +
                                 std::string(example));
  if (StartsWith(url, "http://"))
    return FieldError(field, "must use https:// (the token would travel in clear over http://), e.g. " + std::string(example));
  if (!StartsWith(url, "https://")) return FieldError(field, "must be an https:// URL, e.g. " + std::string(example));
  std::string_view rest = url.substr(8);
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '\\' || c == '"' || c == '<' || c == '>')
      return FieldError(field, "contains spaces or characters a URL may not hold");
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos)
    return FieldError(field, "must not have a query (?…) or fragment (#…): use the plain HTTPS clone URL, e.g. " +
                                 std::string(example));
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos)
    return FieldError(field, "has a user name or token before '@' in the URL: remove everything up to and including "
                             "the '@' (the username and token have their own fields; a token in a URL ends up in "
                             "logs and process lists)");
  if (authority.empty()) return FieldError(field, "has no host, e.g. " + std::string(example));
  std::string host = ToLower(authority);
  std::string_view hostname = host;
  if (auto colon = hostname.rfind(':'); colon != std::string_view::npos && hostname.front() != '[') {
    std::string_view port = hostname.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return FieldError(field, "has an invalid port after ':'");
    hostname = hostname.substr(0, colon);
  }
  if (hostname.empty()) return FieldError(field, "has no host, e.g. " + std::string(example));
  if (hostname.front() != '[')
    for (char c : hostname)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
        return FieldError(field, "has an invalid host name");
  SplitUrl out{host, slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1))};
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  return out;
}

std::string StripGit(std::string s) {
  if (s.size() > 4 && s.ends_with(".git")) s.resize(s.size() - 4);
  return s;
}

// The first "fatal:"/"error:" line of git's stderr, with the secrets removed.
std::string GitMessage(std::string err, const std::vector<std::string>& scrub) {
  for (const auto& s : scrub) {
    if (s.empty()) continue;
    for (size_t p; (p = err.find(s)) != std::string::npos;) err.replace(p, s.size(), "[redacted]");
  }
  std::string pick;
  for (auto line : Split(err, '\n')) {
    line = Trim(line);
    if (StartsWith(line, "fatal:")) { pick = std::string(line); break; }
    if (pick.empty() && (StartsWith(line, "error:") || StartsWith(line, "remote:"))) pick = std::string(line);
  }
  if (pick.empty()) pick = std::string(Trim(err));
  if (pick.size() > 400) pick = pick.substr(0, 400) + "…";
  return pick;
}

struct RunOutput {
  int exit_code = -1;
  bool timed_out = false;
  bool spawn_failed = false;
  std::string out, err;
};

// Runs argv with exactly `env` (no shell), stdin from /dev/null, collecting stdout and stderr;
// kills the child at the timeout.
RunOutput Run(const std::vector<std::string>& argv, const std::vector<std::string>& env, int timeout_ms) {
  RunOutput r;
  int out_fd[2], err_fd[2];
  if (pipe2(out_fd, O_CLOEXEC) != 0) { r.spawn_failed = true; return r; }
  if (pipe2(err_fd, O_CLOEXEC) != 0) {
    close(out_fd[0]); close(out_fd[1]);
    r.spawn_failed = true;
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err_fd[1], STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out_fd[1]);
  close(err_fd[1]);
  if (rc != 0) {
    close(out_fd[0]);
    close(err_fd[0]);
    r.spawn_failed = true;
    return r;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out_fd[0], POLLIN, 0}, {err_fd[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      r.timed_out = true;
      kill(-pid, SIGKILL);  // the child's own process group (git and its remote-https helper)
      break;
    }
    int n = poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        std::string& dst = i == 0 ? r.out : r.err;
        if (dst.size() < (4u << 20)) dst.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string FindGit() {
  for (const char* p : {"/usr/bin/git", "/usr/local/bin/git", "/bin/git"})
    if (access(p, X_OK) == 0) return p;
  return "git";
}

// host[:port] → (name, port) for resolving; IPv6 literals keep their brackets off.
std::pair<std::string, std::string> HostPort(const std::string& authority) {
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    std::string h = authority.substr(1, close - 1);
    std::string port = close + 1 < authority.size() && authority[close + 1] == ':' ? authority.substr(close + 2) : "443";
    return {h, port};
  }
  auto colon = authority.rfind(':');
  if (colon == std::string::npos) return {authority, "443"};
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

const TokenHostInfo* FindTokenHost(std::string_view kind) {
  for (const auto& h : kHosts)
    if (kind == h.kind) return &h;
  return nullptr;
}

Result<std::string> ValidateBaseUrl(std::string_view url, std::string_view field) {
  std::string_view v = Trim(url);
  WHARF_ASSIGN_OR_RETURN(auto split, SplitHttps(v, field, "https://gitlab.example.com"));
  for (auto seg : Split(split.path, '/'))
    if (!split.path.empty() && !SegmentOk(seg)) return FieldError(field, "has an invalid path segment '" + std::string(seg) + "'");
  return "https://" + split.host + (split.path.empty() ? "" : "/" + split.path);
}

Result<CloneUrl> ParseCloneUrl(const TokenHostInfo& info, std::string_view base_url, std::string_view repository,
                               std::string_view field) {
  std::string_view v = Trim(repository);
  if (v.empty()) return FieldError(field, std::string("is required: the HTTPS clone URL, ") + info.url_format);
  if (v.size() > 2000) return FieldError(field, "is longer than 2000 characters");
  WHARF_ASSIGN_OR_RETURN(auto base, SplitHttps(base_url, "base_url", "https://gitlab.example.com"));
  std::string full;
  if (v.find("://") != std::string_view::npos || StartsWith(v, "git@")) {
    full = std::string(v);
  } else {
    std::string_view path = v;
    while (StartsWith(path, "/")) path.remove_prefix(1);
    full = "https://" + base.host + (base.path.empty() ? "" : "/" + base.path) + "/" + std::string(path);
  }
  WHARF_ASSIGN_OR_RETURN(auto u, SplitHttps(full, field, info.url_format));
  if (u.host != base.host)
    return FieldError(field, "is on host " + u.host + ", but this git provider's base_url is on " + base.host +
                                 ": use a repository on " + base.host + " or a provider for " + u.host);
  std::string path = u.path;
  if (!base.path.empty()) {
    if (path != base.path && !StartsWith(path, base.path + "/"))
      return FieldError(field, "is not under the base URL's path /" + base.path + " (" + std::string(info.url_format) + ")");
    path = path.substr(std::min(path.size(), base.path.size() + 1));
  }
  std::vector<std::string> segs;
  for (auto s : Split(path, '/'))
    if (!s.empty()) segs.emplace_back(s);
  auto format_error = [&](const std::string& what) {
    return FieldError(field, what + "; " + info.title + " HTTPS clone URLs look like " + info.url_format +
                                 " (copy it from the repository's Clone button)");
  };
  for (auto& s : segs)
    if (!SegmentOk(s)) return format_error("has an invalid path segment '" + s + "'");
  const std::string kind = info.kind;
  std::string prefix = "https://" + base.host + (base.path.empty() ? "" : "/" + base.path) + "/";
  CloneUrl out;
  out.host = u.host;
  if (kind == "gitlab") {
    if (std::find(segs.begin(), segs.end(), "-") != segs.end())
      return format_error("is a GitLab web page URL (it contains '/-/')");
    if (segs.size() < 2) return format_error("needs a group and a project");
    segs.back() = StripGit(segs.back());
  } else if (kind == "bitbucket") {
    if (u.host == "bitbucket.org") {
      if (segs.size() > 2 && (segs[2] == "src" || segs[2] == "branch" || segs[2] == "commits" || segs[2] == "pull-requests"))
        return format_error("is a Bitbucket web page URL");
      if (segs.size() != 2) return format_error("needs exactly a workspace and a repository");
    } else {
      if (segs.size() != 3 || segs[0] != "scm") return format_error("is not a Bitbucket Data Center clone URL (/scm/PROJECT/REPO.git)");
    }
    segs.back() = StripGit(segs.back());
  } else if (kind == "gitea") {
    if (segs.size() > 2 && (segs[2] == "src" || segs[2] == "branch" || segs[2] == "commit" || segs[2] == "tree"))
      return format_error("is a Gitea web page URL");
    if (segs.size() != 2) return format_error("needs exactly an owner and a repository");
    segs.back() = StripGit(segs.back());
  } else if (kind == "azure_devops") {
    auto it = std::find(segs.begin(), segs.end(), "_git");
    if (it == segs.end()) return format_error("has no '/_git/' part");
    size_t at = static_cast<size_t>(it - segs.begin());
    if (at + 2 != segs.size()) return format_error("must end with /_git/REPO");
    size_t need = std::string_view(u.host).ends_with(".visualstudio.com") ? 1 : 2;
    if (at < need) return format_error(need == 2 ? "needs an organisation (or collection) and a project before /_git/" : "needs a project before /_git/");
    segs.back() = StripGit(segs.back());
  }
  std::string repo;
  for (auto& s : segs) repo += (repo.empty() ? "" : "/") + s;
  out.repository = repo;
  out.url = prefix + repo + (kind == "azure_devops" ? "" : ".git");
  return out;
}

GitResult VerifyClone(const GitProbe& p) {
  GitResult res;
  const TokenHostInfo& info = *p.host;
  auto url = SplitHttps(p.url, "repository", info.url_format);
  if (!url) {
    res.report.Fail("ls_remote", "git_token", url.error().message, std::string("Use ") + info.url_format);
    return res;
  }
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent", "XDG_CONFIG_HOME=/nonexistent",
                                  "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=",
                                  "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ALLOW_PROTOCOL=https",
                                  "GIT_PROTOCOL_FROM_USER=0"};
  if (!p.ca_file.empty()) env.push_back("GIT_SSL_CAINFO=" + p.ca_file);
  std::vector<std::pair<std::string, std::string>> config = {
      {"credential.helper", ""}, {"http.followRedirects", "false"}, {"core.askPass", ""},
      {"http.lowSpeedLimit", "1"}, {"http.lowSpeedTime", std::to_string(std::max(1, p.timeout_ms / 1000))}};
  if (p.address_allowed) {
    // Every address checked before git runs, and git's curl pinned to them (http.curloptResolve,
    // git >= 2.37) with no proxy, so it connects only where the check passed. The refusal names
    // no address and reads the same whatever the port's state.
    auto [name, port] = HostPort(url->host);
    auto ips = ResolveChecked(name, port, p.address_allowed);
    if (!ips) {
      if (ips.error().code == ErrorCode::kValidationFailed)
        res.report.Fail("ls_remote", "network", ips.error().message,
                        "Start wharf with --allow-private-targets to reach a self-hosted git server on a private "
                        "network.");
      else
        res.report.Fail("ls_remote", "network",
                        "Cannot resolve " + name + ": the host name does not resolve from the Wharf server.",
                        "Check the base URL's host name and the Wharf server's DNS.");
      return res;
    }
    std::string pinned;
    for (const auto& ip : *ips) pinned += (pinned.empty() ? "" : ",") + (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip);
    config.emplace_back("http.curloptResolve", name + ":" + port + ":" + pinned);
    config.emplace_back("http.proxy", "");
  }
  std::string user = p.username.empty() ? info.default_username : p.username;
  std::string raw = user + ":" + std::string(p.token ? p.token->view() : std::string_view());
  std::string basic = Base64Encode(raw);
  config.emplace_back("http.extraHeader", "Authorization: Basic " + basic);
  env.push_back("GIT_CONFIG_COUNT=" + std::to_string(config.size()));
  for (size_t i = 0; i < config.size(); ++i) {
    env.push_back("GIT_CONFIG_KEY_" + std::to_string(i) + "=" + config[i].first);
    env.push_back("GIT_CONFIG_VALUE_" + std::to_string(i) + "=" + config[i].second);
  }
  auto t0 = std::chrono::steady_clock::now();
  RunOutput out = Run({FindGit(), "ls-remote", "--refs", p.url}, env, p.timeout_ms);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::string> scrub = {basic, p.token ? std::string(p.token->view()) : std::string()};
  // The credential lived in these strings only; wipe them.
  for (auto& e : env) std::fill(e.begin(), e.end(), '\0');
  for (auto& c : config) std::fill(c.second.begin(), c.second.end(), '\0');
  std::fill(raw.begin(), raw.end(), '\0');
  std::fill(basic.begin(), basic.end(), '\0');
  const std::string title = info.title;
  const std::string how = std::string("git ls-remote ") + p.url;
  if (out.spawn_failed) {
    res.report.Fail("ls_remote", "git_token", "Could not run git on the Wharf server.", "Install git (Debian package git).");
  } else if (out.timed_out) {
    res.report.Fail("ls_remote", "network", how + " did not finish within " + std::to_string(p.timeout_ms / 1000) + " s.",
                    "Check that " + url->host + " is reachable from the Wharf server (firewall, proxy).");
  } else if (out.exit_code != 0) {
    std::string msg = GitMessage(out.err, scrub);
    std::string low = ToLower(msg + "\n" + out.err);
    auto has = [&](const char* s) { return low.find(s) != std::string::npos; };
    if (has("ssl certificate") || has("certificate verify") || has("server certificate") || has("issuer certificate")) {
      res.report.Fail("ls_remote", "network", title + " at " + url->host + " presented a TLS certificate Wharf does not trust (" + msg + ").",
                      "For a self-hosted server with a private CA, start wharf with --extra-ca-file (env WHARF_EXTRA_CA_FILE) "
                      "pointing at the CA's PEM certificate.");
    } else if (has("could not resolve host")) {
      res.report.Fail("ls_remote", "network", "Cannot resolve " + url->host + " (" + msg + ").", "Check the base URL's host name and DNS.");
    } else if (has("failed to connect") || has("couldn't connect") || has("connection refused") || has("timed out") ||
               has("connection reset")) {
      res.report.Fail("ls_remote", "network", "Cannot connect to " + url->host + " (" + msg + ").",
                      "Check that the git host is up and that the Wharf server may reach it (firewall, proxy).");
    } else if (has("terminal prompts disabled") || has("authentication failed") || has("error: 401") || has(" 401")) {
      res.report.Fail("ls_remote", "git_token",
                      title + " refused the credential (HTTP 401) for " + p.url + ": the token is wrong, revoked or expired, "
                      "or the username '" + user + "' does not go with it.",
                      "Create a new " + title + " token with " + info.read_scope + " (and rotate it before it expires), "
                      "then save it in this git provider.");
    } else if (has("error: 403") || has(" 403")) {
      res.report.Fail("ls_remote", "git_token",
                      title + " accepted the token but refused access to " + p.url + " (HTTP 403): the token is missing " +
                          info.read_scope + ", or its user has no read access to this repository.",
                      std::string("Give the token the ") + info.read_scope + " scope (and its user read access to the repository), "
                      "or use a token that has it.");
    } else if (has("not found") || has("error: 404") || has("does not appear to be a git repository")) {
      res.report.Fail("ls_remote", "git_token",
                      "Repository not found at " + p.url + " (HTTP 404): the URL's path is wrong, or the token cannot see "
                      "this private repository (hosts answer 'not found' rather than 'forbidden').",
                      std::string("Copy the HTTPS clone URL from the repository's Clone button (") + info.url_format +
                          "), and check that the token's user can open the repository.");
    } else {
      res.report.Fail("ls_remote", "git_token", how + " failed: " + msg, "Check the clone URL and the token.");
    }
  } else {
    for (auto line : Split(out.out, '\n')) {
      auto tab = line.find('\t');
      if (tab == std::string_view::npos) continue;
      std::string_view ref = line.substr(tab + 1);
      if (StartsWith(ref, "refs/heads/")) res.branches.emplace_back(ref.substr(11));
    }
    res.report.Add("ls_remote", "passed",
                   "git ls-remote reached " + p.url + " as '" + user + "' in " + std::to_string(ms) + " ms: " +
                       std::to_string(res.branches.size()) + " branch(es).");
  }
  if (p.branch.empty()) return res;
  if (!res.report.ok()) {
    res.report.Add("branch", "skipped", "Not checked: the repository was not reached.");
    return res;
  }
  std::string want = "refs/heads/" + p.branch;
  for (auto line : Split(out.out, '\n')) {
    auto tab = line.find('\t');
    if (tab != std::string_view::npos && line.substr(tab + 1) == want) res.head_sha = std::string(line.substr(0, tab));
  }
  if (!res.head_sha.empty()) {
    res.report.Add("branch", "passed", "Branch " + p.branch + " exists at " + res.head_sha.substr(0, 12) + ".");
  } else {
    std::string some;
    for (size_t i = 0; i < res.branches.size() && i < 10; ++i) some += (i ? ", " : "") + res.branches[i];
    res.report.Fail("branch", "git_token",
                    "Branch '" + p.branch + "' does not exist in " + p.url +
                        (some.empty() ? std::string(" (the repository has no branches yet).") : " (branches: " + some + ")."),
                    "Choose an existing branch, or push '" + p.branch + "' first.");
  }
  return res;
}

TokenInfo ReadGitlabToken(std::string_view base_url, const SecretBytes& token, int timeout_ms,
                          const std::function<bool(std::string_view ip)>& address_allowed) {
  TokenInfo t;
  http_client::HttpCall call{.method = "GET", .url = std::string(base_url) + "/api/v4/personal_access_tokens/self"};
  call.headers.emplace_back("PRIVATE-TOKEN", std::string(token.view()));
  call.headers.emplace_back("Accept", "application/json");
  call.timeout_ms = timeout_ms;
  call.connect_timeout_ms = std::min(timeout_ms, 5000);
  call.user_agent = "wharf";
  call.address_allowed = address_allowed;
  call.layer = Layer::kGitToken;
  auto r = http_client::Fetch(call);
  std::fill(call.headers[0].second.begin(), call.headers[0].second.end(), '\0');
  if (!r) {
    t.message = r.error().message;
    return t;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status == 401) {
    t.reached = true;
    std::string why = j.is_object() ? j.value("error_description", j.value("message", std::string())) : std::string();
    t.message = why.empty() ? "401 Unauthorized" : why;
    return t;
  }
  if (r->status != 200 || !j.is_object()) {
    t.message = "the host's token API answered HTTP " + std::to_string(r->status);
    return t;
  }
  t.reached = true;
  t.valid = j.value("active", true) && !j.value("revoked", false);
  t.name = j.value("name", "");
  if (j.contains("scopes") && j["scopes"].is_array())
    for (auto& s : j["scopes"])
      if (s.is_string()) t.scopes.push_back(s.get<std::string>());
  if (j.contains("expires_at") && j["expires_at"].is_string()) {
    std::string d = j["expires_at"];
    int y = 0;
    unsigned m = 0, day = 0;
    if (std::sscanf(d.c_str(), "%d-%u-%u", &y, &m, &day) == 3 && m >= 1 && m <= 12 && day >= 1 && day <= 31)
      t.expires_at_ms = DaysFromCivil(y, m, day) * 86400000LL;
  }
  if (!t.valid) t.message = j.value("revoked", false) ? "the token was revoked" : "the token is no longer active (expired)";
  return t;
}

}  // namespace wharf::integrations
