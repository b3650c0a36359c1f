#include "nodes/checks.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "base/strings.h"

namespace wharf::nodes {

int CompareVersions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) -> long {
    size_t i = 0;
    while (i < s.size() && (s[i] < '0' || s[i] > '9')) ++i;
    s.remove_prefix(i);
    long v = 0;
    i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    s.remove_prefix(i);
    if (!s.empty() && s[0] == '.') s.remove_prefix(1);
    else s = {};  // a suffix such as "-rc1" ends the comparison
    return v;
  };
  for (int i = 0; i < 4; ++i) {
    long x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

bool SupportedOs(std::string_view id, std::string_view v) {
  if (id == "ubuntu") return v == "20.04" || v == "22.04" || v == "24.04";
  if (id == "debian") return v == "11" || v == "12" || v == "13";
  return false;
}

namespace {

struct Builder {
  CheckReport& r;
  void Pass(std::string name, std::string message) { r.checks.push_back({std::move(name), "passed", "", std::move(message), "", ""}); }
  void Fail(std::string name, std::string code, std::string message, std::string layer, std::string fix) {
    r.checks.push_back({std::move(name), "failed", std::move(code), std::move(message), std::move(layer), std::move(fix)});
  }
  void Skip(std::initializer_list<const char*> names, const std::string& why) {
    for (auto* n : names) r.checks.push_back({n, "skipped", "", why, "", ""});
  }
};

std::string OsReleaseValue(const std::string& text, std::string_view key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == '=') {
      std::string v = line.substr(key.size() + 1);
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return {};
}

}  // namespace

CheckReport RunChecks(const Target& t, const CheckOptions& o) {
  auto started = std::chrono::steady_clock::now();
  CheckReport r;
  Builder b{r};
  const std::string where = t.host + ":" + std::to_string(t.port);
  ConnectFailure failure = ConnectFailure::kNone;
  auto conn = Connection::Open(t, o.connect, &failure, &r.host_key_fingerprint);
  auto finish = [&]() {
    r.ok = true;
    for (auto& c : r.checks) r.ok = r.ok && c.status != "failed";
    r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    return r;
  };
  const auto after_tcp = {"host_key", "ssh_auth", "sudo", "os", "disk", "dns", "docker", "dokku"};
  if (!conn) {
    const std::string msg = conn.error().message;
    switch (failure) {
      case ConnectFailure::kHostUnresolved:
        b.Fail("dns", "host_unresolved", msg, "network",
               "Fix the DNS record for " + t.host + ", or enter the server's IP address instead.");
        b.Skip({"tcp", "host_key", "ssh_auth", "sudo", "os", "disk", "docker", "dokku"}, "the host name does not resolve");
        return finish();
      case ConnectFailure::kPrivateTarget:
        b.Fail("tcp", "private_target", msg, "network",
               "Use the server's public address, or start wharf with --allow-private-targets if private networks are intended.");
        b.Skip(after_tcp, "not connected");
        return finish();
      case ConnectFailure::kRefused:
        b.Fail("tcp", "connection_refused", "Connection refused by " + msg, "network",
               "Nothing listens on port " + std::to_string(t.port) + ": start sshd on the server, or correct the port.");
        b.Skip(after_tcp, "not connected");
        return finish();
      case ConnectFailure::kTimeout:
        b.Fail("tcp", "port_unreachable", "Timed out connecting to " + msg, "network",
               "A firewall or security group drops TCP " + std::to_string(t.port) +
                   ": allow SSH from Wharf's address in the server's security group and host firewall (check it was not "
                   "accidentally closed).");
        b.Skip(after_tcp, "not connected");
        return finish();
      case ConnectFailure::kUnreachable:
        b.Fail("tcp", "network_unreachable", "No route to " + msg, "network",
               "Check the address and the network path (routing, VPN, security group) between Wharf and the server.");
        b.Skip(after_tcp, "not connected");
        return finish();
      case ConnectFailure::kHandshake:
        b.Pass("tcp", "TCP " + where + " is reachable");
        b.Fail("host_key", "ssh_handshake_failed", msg, "ssh",
               "Port " + std::to_string(t.port) + " does not speak SSH: check the port number.");
        b.Skip({"ssh_auth", "sudo", "os", "disk", "dns", "docker", "dokku"}, "no SSH session");
        return finish();
      case ConnectFailure::kHostKeyChanged:
        b.Pass("tcp", "TCP " + where + " is reachable");
        b.Fail("host_key", "host_key_changed", msg, "ssh",
               "If the server was reinstalled, compare the new fingerprint with `ssh-keygen -lf "
               "/etc/ssh/ssh_host_ed25519_key.pub` on it, then re-pin (POST …/servers/{id}/repin-host-key, needs "
               "servers.update). Otherwise treat it as an attack.");
        b.Skip({"ssh_auth", "sudo", "os", "disk", "dns", "docker", "dokku"}, "host key not trusted");
        return finish();
      case ConnectFailure::kAuthFailed:
        b.Pass("tcp", "TCP " + where + " is reachable");
        b.Pass("host_key", t.pinned_host_key.empty() ? "Host key " + r.host_key_fingerprint + " (pinned on first success)"
                                                     : "Host key matches the pinned " + t.pinned_host_key);
        b.Fail("ssh_auth", "auth_failed", msg, "ssh",
               "Add the public half of the SSH key " + o.key_label + " to ~" + t.username +
                   "/.ssh/authorized_keys on the server, or attach the key that is there (Security → SSH Keys).");
        b.Skip({"sudo", "os", "disk", "dns", "docker", "dokku"}, "not signed in");
        return finish();
      case ConnectFailure::kNone:
        b.Fail("tcp", "connect_failed", msg, "network", "Check the address and port.");
        b.Skip(after_tcp, "not connected");
        return finish();
    }
  }
  Connection& c = **conn;
  r.source_address = c.local_address();
  b.Pass("tcp", "TCP " + where + " is reachable (" + c.address() + ")");
  b.Pass("host_key", t.pinned_host_key.empty() ? "Host key " + r.host_key_fingerprint + " (pinned on first success)"
                                               : "Host key matches the pinned " + t.pinned_host_key);
  b.Pass("ssh_auth", "Signed in as " + t.username + " with the key " + o.key_label);

  auto run = [&](const std::vector<std::string>& argv) -> CommandResult {
    auto res = c.Run(argv);
    if (!res) return CommandResult{-1, "", res.error().message};
    return *res;
  };

  // sudo
  if (t.username == "root") {
    b.Pass("sudo", "Signed in as root");
  } else {
    auto s = run({"sudo", "-n", "true"});
    if (s.exit_status == 0) b.Pass("sudo", "Passwordless sudo works for " + t.username);
    else if (s.exit_status == 127)
      b.Fail("sudo", "sudo_missing", "sudo is not installed", "ssh", "Install sudo (apt-get install sudo) and give " +
             t.username + " passwordless sudo.");
    else
      b.Fail("sudo", "no_sudo", "`sudo -n true` failed: " + std::string(Trim(s.err)), "ssh",
             "Give " + t.username + " passwordless sudo: echo '" + t.username +
                 " ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/wharf");
  }

  // os
  auto osr = run({"cat", "/etc/os-release"});
  std::string id = OsReleaseValue(osr.out, "ID"), ver = OsReleaseValue(osr.out, "VERSION_ID");
  r.os = id + " " + ver;
  if (osr.exit_status != 0 || id.empty())
    b.Fail("os", "unsupported_os", "/etc/os-release is missing or unreadable", "ssh",
           "Use Ubuntu 20.04/22.04/24.04 or Debian 11/12/13, which Dokku supports.");
  else if (!SupportedOs(id, ver))
    b.Fail("os", "unsupported_os", OsReleaseValue(osr.out, "PRETTY_NAME") + " is not supported by Dokku", "ssh",
           "Use Ubuntu 20.04/22.04/24.04 or Debian 11/12/13, which Dokku supports.");
  else b.Pass("os", OsReleaseValue(osr.out, "PRETTY_NAME"));

  // disk
  auto df = run({"df", "-Pk", "/"});
  {
    std::istringstream in(df.out);
    std::string header, fs;
    int64_t total = 0, used = 0, avail = -1;
    std::getline(in, header);
    in >> fs >> total >> used >> avail;
    if (df.exit_status != 0 || avail < 0) {
      b.Fail("disk", "disk_unknown", "`df -Pk /` failed: " + std::string(Trim(df.err)), "ssh", "Check that df (coreutils) works on the server.");
    } else {
      r.disk_free_mb = avail / 1024;
      if (r.disk_free_mb < o.min_disk_free_mb)
        b.Fail("disk", "disk_low", std::to_string(r.disk_free_mb) + " MiB free on /, below the " +
               std::to_string(o.min_disk_free_mb) + " MiB Wharf requires", "ssh",
               "Free space (docker system prune -af; old releases; logs) or grow the disk.");
      else b.Pass("disk", std::to_string(r.disk_free_mb) + " MiB free on /");
    }
  }

  // dns, from the node
  auto dns = run({"getent", "ahosts", o.dns_probe});
  if (dns.exit_status == 0) b.Pass("dns", "The server resolves " + o.dns_probe);
  else
    b.Fail("dns", "node_dns_failed", "The server cannot resolve " + o.dns_probe + " (getent exit " +
           std::to_string(dns.exit_status) + ")", "network",
           "Fix /etc/resolv.conf (or systemd-resolved) on the server so it can reach a DNS resolver.");

  // docker
  auto dv = run({"docker", "version", "--format", "{{.Server.Version}}"});
  if (dv.exit_status == 127)
    b.Fail("docker", "docker_missing", "docker is not installed", "ssh", "Run onboarding: it installs Docker with Dokku.");
  else if (dv.exit_status != 0)
    b.Fail("docker", "docker_not_running", "docker is installed but the engine does not answer: " + std::string(Trim(dv.err)),
           "ssh", "Start the Docker engine: sudo systemctl enable --now docker");
  else b.Pass("docker", "Docker engine " + std::string(Trim(dv.out)));

  // dokku
  auto dk = run({"dokku", "version"});
  if (dk.exit_status == 127) {
    if (o.require_dokku) b.Fail("dokku", "dokku_missing", "dokku is not installed", "ssh", "Run onboarding (POST …/servers/{id}/onboard).");
    else b.Skip({"dokku"}, "dokku is not installed yet: onboarding installs it");
  } else {
    std::string v(Trim(dk.out));
    if (StartsWith(v, "dokku version ")) v = v.substr(14);
    r.dokku_version = v;
    if (dk.exit_status != 0 || v.empty())
      b.Fail("dokku", "dokku_broken", "`dokku version` failed: " + std::string(Trim(dk.err)), "ssh", "Re-run onboarding to repair Dokku.");
    else if (CompareVersions(v, o.min_dokku_version) < 0)
      b.Fail("dokku", "dokku_too_old", "Dokku " + v + " is older than " + o.min_dokku_version, "ssh",
             "Upgrade Dokku (re-run onboarding, which installs the pinned version).");
    else b.Pass("dokku", "Dokku " + v);
  }
  return finish();
}

}  // namespace wharf::nodes
