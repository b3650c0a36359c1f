// wharf doctor (the troubleshooting checklists), wharf explain (why a member may or may not do
// something) and wharf support-bundle (the tar an Admin sends to support).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/command.h"
#include "cli/ops_flags.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

bool LooksLikeEmail(const std::string& s) { return s.find('@') != std::string::npos; }

// ---- doctor ----

struct DoctorFlags {
  std::string server, invitation, error, registry, image, backup_storage;
};

// The diagnosis for people: the layer, what matched, likely causes, then ✔/✘/– per checklist item
// with its evidence, and the fix under each failed one.
// `base_url` turns the diagnosis's guide ("docs/troubleshooting/x.md#y") into the page the
// server itself serves ("https://wharf.example.com/help/troubleshooting/x#y").
std::string RenderDiagnosis(const json& d, bool color, std::string_view base_url) {
  std::string s;
  const std::string layer = Str(d, "layer"), title = Str(d, "title");
  if (!layer.empty()) {
    s += Style("Layer: " + layer, "1", color) + (title.empty() ? "" : " — " + title) + "\n";
  } else if (Str(d, "subject") == "error_text") {
    s += Style("Layer: unknown", "1", color) + " — no known pattern in the text\n";
  }
  if (std::string m = Str(d, "matched"); !m.empty()) s += "Matched pattern: \"" + m + "\"\n";
  if (d.contains("likely_causes") && d["likely_causes"].is_array() && !d["likely_causes"].empty()) {
    s += "Likely causes:\n";
    for (const json& c : d["likely_causes"]) s += "  - " + Cell(c) + "\n";
  }
  if (std::string n = Str(d, "not_this"); !n.empty()) s += "Not this: " + n + "\n";
  if (d.contains("checklist") && d["checklist"].is_array() && !d["checklist"].empty()) {
    s += "Checklist:\n";
    for (const json& item : d["checklist"]) {
      const std::string status = Str(item, "status");
      const std::string_view glyph = ChecklistGlyph(status);
      s += "  " + Style(glyph, status == "passed" ? "32" : status == "failed" ? "31" : "2", color) + " " +
           Str(item, "name");
      if (std::string ev = Str(item, "evidence"); !ev.empty()) {
        // Multi-line evidence (firewall rules) is indented under its item.
        std::string indented;
        for (char ch : ev) indented += ch == '\n' ? std::string("\n      ") : std::string(1, ch);
        s += ": " + indented;
      }
      s += "\n";
      if (std::string fix = Str(item, "fix"); !fix.empty() && status == "failed") s += "      fix: " + fix + "\n";
    }
  }
  if (std::string page = Str(d, "page"); !page.empty()) {
    if (page.starts_with("docs/")) page = page.substr(5);
    if (auto md = page.find(".md"); md != std::string::npos) page.erase(md, 3);
    std::string base(base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    s += "Guide: " + base + "/help/" + page + "\n";
  }
  return s;
}

Status Doctor(Env& env, const DoctorFlags& f) {
  if (f.server.empty() && f.invitation.empty() && f.error.empty() && f.registry.empty() && f.backup_storage.empty())
    return UsageError("Say what to diagnose: --server NAME, --invitation EMAIL|ID, --registry NAME --image IMAGE, "
                      "--backup-storage NAME, or --error \"TEXT\" (- reads stdin).");
  if (!f.registry.empty() && f.image.empty())
    return UsageError("--registry needs --image: the image whose pull fails, e.g. ghcr.io/acme/api:v1.");
  if (!f.server.empty() && !f.invitation.empty()) return UsageError("Give --server or --invitation, not both.");
  json body = json::object();
  if (!f.error.empty()) {
    std::string text = f.error;
    if (text == "-") {
      WHARF_ASSIGN_OR_RETURN(text, ReadFileArg("-", "--error"));
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) return UsageError("--error: the text is empty; paste the message you saw.");
    body["error_text"] = text;
  }
  if (!f.server.empty()) {
    WHARF_ASSIGN_OR_RETURN(auto servers, env.ListOrg("/servers"));
    WHARF_ASSIGN_OR_RETURN(json s, FindRow(servers, f.server, "/id", "/name", "server", "wharf server list"));
    body["server_id"] = s["id"];
  }
  if (!f.registry.empty()) {
    WHARF_ASSIGN_OR_RETURN(auto regs, env.ListOrg("/docker-registries"));
    WHARF_ASSIGN_OR_RETURN(json reg, FindRow(regs, f.registry, "/id", "/name", "docker registry", "the registries page"));
    body["docker_registry_id"] = reg["id"];
    body["image"] = f.image;
  }
  if (!f.backup_storage.empty()) {
    WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/backup-storage"));
    WHARF_ASSIGN_OR_RETURN(json st, FindRow(rows, f.backup_storage, "/id", "/name", "backup storage", "wharf backup-storage list"));
    body["backup_storage_id"] = st["id"];
  }
  if (!f.invitation.empty()) {
    if (LooksLikeEmail(f.invitation)) {
      WHARF_ASSIGN_OR_RETURN(auto invs, env.ListOrg("/invitations"));
      WHARF_ASSIGN_OR_RETURN(json inv, FindRow(invs, f.invitation, "/id", "/email", "invitation", "wharf invite list"));
      body["invitation_id"] = inv["id"];
    } else {
      body["invitation_id"] = f.invitation;
    }
  }
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/diagnose"));
  WHARF_ASSIGN_OR_RETURN(json d, api->Post(path, body));
  if (env.format() != Format::kTable) {
    env.Print(d, Table{});
  } else {
    env.out() << RenderDiagnosis(d, env.color(), api->base_url());
    env.out().flush();
  }
  int failed = 0;
  std::string first;
  if (d.contains("checklist") && d["checklist"].is_array())
    for (const json& item : d["checklist"])
      if (Str(item, "status") == "failed") {
        if (!failed) first = Str(item, "name");
        ++failed;
      }
  if (failed)
    return Err(ErrorCode::kUnavailable,
               std::to_string(failed) + " checklist item(s) failed (first: " + first + "); see the fix above.");
  return Ok();
}

// ---- explain ----

struct ExplainFlags {
  std::string permission, user, resource;
};

Status Explain(Env& env, const ExplainFlags& f) {
  std::string query;
  if (!f.permission.empty()) {
    WHARF_ASSIGN_OR_RETURN(PermissionRef ref, ParsePermissionRef(f.permission));
    query += "&collection=" + EncodeComponent(ref.collection) + "&action=" + EncodeComponent(ref.action);
  } else if (!f.resource.empty()) {
    return UsageError("--resource needs a permission: `wharf explain servers:update --resource srv_…`.");
  }
  if (!f.resource.empty()) query += "&resource_id=" + EncodeComponent(f.resource);
  if (!f.user.empty()) {
    std::string user_id = f.user;
    if (LooksLikeEmail(f.user)) {
      WHARF_ASSIGN_OR_RETURN(auto members, env.ListOrg("/members"));
      WHARF_ASSIGN_OR_RETURN(json m, FindRow(members, f.user, "/user/id", "/user/email", "member", "wharf member list"));
      user_id = m["user"]["id"];
    }
    query += "&user_id=" + EncodeComponent(user_id);
  }
  if (!query.empty()) query[0] = '?';
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/access/explain" + query));
  WHARF_ASSIGN_OR_RETURN(json v, api->Get(path));
  if (env.format() != Format::kTable) {
    env.Print(v, Table{});
    return Ok();
  }
  const bool color = env.color();
  if (v.contains("matrix") && v["matrix"].is_array()) {
    const json& u = v.value("user", json::object());
    const json& role = v.value("role", json::object());
    env.out() << Str(u, "email") << ": role " << Str(role, "name") << (v.value("owner", false) ? " (owner)" : "") << "\n";
    Table t{{"PERMISSION", "ALLOWED", "REASON"}, {}};
    for (const json& m : v["matrix"]) {
      const bool ok = m.value("allowed", false);
      t.rows.push_back({Str(m, "permission"), Style(ok ? "yes" : "no", ok ? "32" : "31", color), Str(m, "reason")});
    }
    env.out() << RenderTable(t, color);
  } else {
    const bool ok = v.value("allowed", false);
    env.out() << Style(ok ? "✔ allowed" : "✘ denied", ok ? "32" : "31", color) << ": " << Str(v, "message") << "\n";
    if (Str(v, "reason") == "missing_permission") env.out() << "  missing permission: " << Str(v, "permission") << "\n";
    if (std::string hint = Str(v, "hint"); !hint.empty()) env.out() << "  hint: " << hint << "\n";
  }
  env.out().flush();
  return Ok();
}

// ---- support-bundle ----

struct BundleFlags {
  std::string since = "60m", error, out;
  std::vector<std::string> request_ids;
};

Status WriteFile0600(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Err(ErrorCode::kInternal, "-O: cannot write " + path + ": " + std::strerror(errno));
  // An existing file keeps its mode on open: tighten it, since the bundle describes the org.
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return Err(ErrorCode::kInternal, "-O: cannot write " + path + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Err(ErrorCode::kInternal, "-O: cannot write " + path + ": " + std::strerror(errno));
  return Ok();
}

Status SupportBundle(Env& env, const BundleFlags& f) {
  WHARF_ASSIGN_OR_RETURN(int64_t minutes, ParseSinceMinutes(f.since));
  json body = {{"since_minutes", minutes}};
  if (!f.request_ids.empty()) body["request_ids"] = f.request_ids;
  if (!f.error.empty()) {
    std::string text = f.error;
    if (text == "-") {
      WHARF_ASSIGN_OR_RETURN(text, ReadFileArg("-", "--error"));
    }
    body["error_text"] = text;
  }
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/support-bundle"));
  WHARF_ASSIGN_OR_RETURN(std::string tar, api->PostForBytes(path, body));
  if (f.out == "-") {
    std::cout.write(tar.data(), static_cast<std::streamsize>(tar.size()));
    std::cout.flush();
    return Ok();
  }
  WHARF_TRY(WriteFile0600(f.out, tar));
  env.Done(json{{"file", f.out}, {"bytes", tar.size()}, {"since_minutes", minutes}},
           "Wrote the support bundle to " + f.out + " (" + std::to_string(tar.size()) +
               " bytes, mode 0600). Check it, then send it to support.");
  return Ok();
}

}  // namespace

void AddDiagnoseCommands(Registry& r) {
  auto df = std::make_shared<DoctorFlags>();
  CLI::App* d = r.Command(nullptr, "doctor",
                          "Run a troubleshooting checklist for a server or an invitation, or tell which layer an error "
                          "message comes from; exit 1 when an item failed",
                          "wharf doctor --server web-1\n  wharf doctor --error \"Permission denied (publickey)\"\n"
                          "  git push 2>&1 | wharf doctor --error -",
                          Scope::kOrg, [df](Env& env) { return Doctor(env, *df); });
  d->add_option("--server", df->server, "Server name or id: run the SSH checklist on it");
  d->add_option("--invitation", df->invitation, "Invitation email or id: check its email, expiry, seats and inviter");
  d->add_option("--error", df->error, "The error message you saw (- reads it from stdin)");
  d->add_option("--registry", df->registry, "Docker registry name or id: check pull access to --image with it");
  d->add_option("--image", df->image, "With --registry: the image whose pull fails, e.g. ghcr.io/acme/api:v1");
  d->add_option("--backup-storage", df->backup_storage,
                "Backup storage name or id: write, read, list and delete a probe object with its key");

  auto ef = std::make_shared<ExplainFlags>();
  CLI::App* e = r.Command(nullptr, "explain",
                          "Why a member may or may not do something (one line), or their whole permission matrix",
                          "wharf explain --user bob@example.com servers:update\n  wharf explain --user bob@example.com",
                          Scope::kOrg, [ef](Env& env) { return Explain(env, *ef); });
  e->add_option("permission", ef->permission, "COLLECTION:ACTION, e.g. servers:update (omit it for the whole matrix)");
  e->add_option("--user", ef->user, "Member email or user id (default: you; asking about others needs Admin)");
  e->add_option("--resource", ef->resource, "A row's id, to include its own scope rules (read_scope own, resource_scope)");

  auto bf = std::make_shared<BundleFlags>();
  CLI::App* b = r.Command(nullptr, "support-bundle",
                          "Download a tar for support: recent audit events, matching log lines, server checks and the "
                          "redacted configuration, never a secret (Admin)",
                          "wharf support-bundle --since 2h --request-id req_123 --error \"the message\" -O bundle.tar",
                          Scope::kOrg, [bf](Env& env) { return SupportBundle(env, *bf); });
  b->add_option("--since", bf->since, "How far back: 30m, 2h, 1d (default 60m; at most 7d)");
  b->add_option("--request-id", bf->request_ids, "A request id from an error (req_…); repeatable")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  b->add_option("--error", bf->error, "The error message you saw (- reads stdin); the bundle includes its diagnosis");
  b->add_option("-O,--out", bf->out, "File to write (mode 0600), or - for stdout")->required();
}

}  // namespace wharf::cli
