#include "cli/command.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "base/strings.h"

namespace wharf::cli {

using nlohmann::json;

namespace {
constexpr const char* kUsageMarker = "usage";

std::string EnvVar(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
}  // namespace

tl::unexpected<Error> UsageError(std::string message) {
  return tl::unexpected<Error>(Error{ErrorCode::kValidationFailed, std::move(message), kUsageMarker, Layer::kNone,
                                     json::object()});
}

int ExitCodeFor(const Error& e) {
  if (e.code == ErrorCode::kValidationFailed && e.detail == kUsageMarker) return kExitUsage;
  switch (e.code) {
    case ErrorCode::kUnauthenticated: return kExitUnauthenticated;
    case ErrorCode::kForbidden:
    case ErrorCode::kLimitReached:
    case ErrorCode::kStepUpRequired:
    case ErrorCode::kTwoFactorRequired:
    case ErrorCode::kSsoRequired: return kExitForbidden;
    default: return kExitFailure;
  }
}

std::string FormatError(const Error& e, bool color) {
  std::string s = Style("wharf:", "1;31", color) + " " + e.message + "\n";
  const json& d = e.details;
  if (d.is_object()) {
    if (d.contains("permission") && d["permission"].is_string())
      s += "  missing permission: " + d["permission"].get<std::string>() + "\n";
    if (d.contains("fields") && d["fields"].is_object())
      for (auto& [k, v] : d["fields"].items()) s += "  " + k + ": " + Cell(v) + "\n";
    if (d.contains("check") && d["check"].is_string())
      s += "  check: " + d["check"].get<std::string>() +
           (d.contains("code") && d["code"].is_string() && !d["code"].get<std::string>().empty()
                ? " (" + d["code"].get<std::string>() + ")"
                : "") +
           "\n";
    if (d.contains("limit") && d.contains("used"))
      s += "  limit: " + Cell(d["limit"]) + ", used: " + Cell(d["used"]) + "\n";
  }
  if (e.layer != Layer::kNone) s += "  layer: " + std::string(LayerName(e.layer)) + "\n";
  if (e.code == ErrorCode::kUnauthenticated && e.detail != "local")
    s += "  Sign in again with `wharf login`.\n";
  return s;
}

// ---- Env ----

Env::Env(CommonFlags flags, std::ostream& out, std::ostream& err, bool out_color, bool err_color)
    : flags_(std::move(flags)), out_(out), err_(err), out_color_(out_color), err_color_(err_color) {}

Status Env::Init() {
  auto f = ParseFormat(flags_.output);
  if (!f) return UsageError("-o/--output must be table, json or yaml");
  format_ = *f;
  return Ok();
}

Result<Config*> Env::config() {
  if (!config_) {
    WHARF_ASSIGN_OR_RETURN(Config c, LoadConfig(ConfigPath()));
    config_ = std::move(c);
  }
  return &*config_;
}

Status Env::SaveConfig() {
  WHARF_ASSIGN_OR_RETURN(Config * c, config());
  return cli::SaveConfig(ConfigPath(), *c);
}

Result<std::string> Env::context_name() {
  if (!flags_.context.empty()) return flags_.context;
  if (std::string v = EnvVar("WHARF_CONTEXT"); !v.empty()) return v;
  WHARF_ASSIGN_OR_RETURN(Config * c, config());
  return c->current;
}

Result<Context*> Env::context() {
  WHARF_ASSIGN_OR_RETURN(std::string name, context_name());
  WHARF_ASSIGN_OR_RETURN(Config * c, config());
  if (name.empty()) return static_cast<Context*>(nullptr);
  Context* ctx = c->Find(name);
  if (!ctx) return UsageError("There is no context named '" + name + "'; see `wharf context list`.");
  return ctx;
}

Result<ApiClient*> Env::api() {
  if (api_) return api_.get();
  std::string url = EnvVar("WHARF_URL"), token = EnvVar("WHARF_TOKEN");
  if (url.empty() || token.empty()) {
    WHARF_ASSIGN_OR_RETURN(Context * ctx, context());
    if (ctx && url.empty()) url = ctx->url;
    if (ctx && token.empty()) token = ctx->token;
  }
  if (url.empty() || token.empty()) {
    Error e{ErrorCode::kUnauthenticated,
            url.empty() ? "Not signed in. Run `wharf login URL` (or set WHARF_URL and WHARF_TOKEN)."
                        : "Not signed in to " + url + ". Run `wharf login` (or set WHARF_TOKEN).",
            "local", Layer::kNone, json::object()};
    return Err(std::move(e));
  }
  api_ = std::make_unique<ApiClient>(url, token);
  std::string host = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  api_->set_progress(progress_command_ + ": waiting for " + host, progress_style_);
  return api_.get();
}

Result<std::string> Env::org() {
  if (!flags_.org.empty()) return flags_.org;
  if (std::string v = EnvVar("WHARF_ORG"); !v.empty()) return v;
  WHARF_ASSIGN_OR_RETURN(Context * ctx, context());
  if (ctx && !ctx->org.empty()) return ctx->org;
  // No org chosen (typically WHARF_URL + WHARF_TOKEN without WHARF_ORG): the account's only org
  // (an API token reaches exactly one); with several, the error lists them.
  const std::string none = "No organisation chosen: pass --org SLUG, set WHARF_ORG, or run `wharf org use SLUG`.";
  auto a = api();
  if (!a) return UsageError(none);
  auto me_r = (*a)->Get("/api/v1/me");
  if (!me_r) {
    if (me_r.error().code == ErrorCode::kUnauthenticated) return Err(me_r.error());
    return UsageError(none + " (Asking the server for your organisations failed: " + me_r.error().message + ")");
  }
  const json& me = *me_r;
  std::vector<std::string> slugs;
  if (me.contains("orgs") && me["orgs"].is_array())
    for (const json& o : me["orgs"]) slugs.push_back(o.value("slug", ""));
  if (slugs.size() == 1) {
    flags_.org = slugs[0];  // asked once per command
    return slugs[0];
  }
  if (slugs.empty())
    return UsageError("This account belongs to no organisation yet. Create one with `wharf org create NAME` "
                      "or join one with `wharf invite accept LINK`.");
  std::string list;
  for (const auto& sl : slugs) list += (list.empty() ? "" : ", ") + sl;
  return UsageError("This account belongs to " + std::to_string(slugs.size()) + " organisations (" + list +
                    "): pass --org SLUG, set WHARF_ORG, or run `wharf org use SLUG`.");
}

Result<std::string> Env::OrgPath(const std::string& suffix) {
  WHARF_ASSIGN_OR_RETURN(std::string slug, org());
  return "/api/v1/orgs/" + EncodeComponent(slug) + suffix;
}

Result<std::vector<json>> Env::ListOrg(const std::string& suffix) {
  WHARF_ASSIGN_OR_RETURN(std::string path, OrgPath(suffix));
  WHARF_ASSIGN_OR_RETURN(ApiClient * a, api());
  return a->ListAll(path);
}

void Env::Print(const json& value, const Table& table, const std::string& empty_message) {
  if (format_ != Format::kTable) {
    out_ << Render(value, format_);
  } else if (table.rows.empty() && !empty_message.empty()) {
    out_ << empty_message << "\n";
  } else {
    out_ << RenderTable(table, out_color_);
  }
  out_.flush();
}

void Env::Done(const json& value, const std::string& message) {
  if (format_ != Format::kTable) {
    out_ << Render(value.is_null() ? json::object() : value, format_);
  } else {
    out_ << message << "\n";
  }
  out_.flush();
}

// ---- Registry ----

CLI::App* Registry::Group(const std::string& name, const std::string& description, const std::string& example,
                          CLI::App* parent) {
  CLI::App* g = (parent ? parent : &root_)->add_subcommand(name, description);
  g->require_subcommand(1);
  g->group("Client commands");
  if (!example.empty()) g->footer("Example:\n  " + example);
  return g;
}

CLI::App* Registry::Command(CLI::App* parent, const std::string& name, const std::string& description,
                            const std::string& example, Scope scope, Handler run) {
  CLI::App* c = parent ? parent->add_subcommand(name, description) : root_.add_subcommand(name, description);
  if (!parent) c->group("Client commands");
  auto flags = std::make_shared<CommonFlags>();
  c->add_option("-o,--output", flags->output, "Output: table (default), json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  c->add_option("--context", flags->context, "Saved context to use (env WHARF_CONTEXT)");
  if (scope == Scope::kOrg) c->add_option("--org", flags->org, "Organisation slug (env WHARF_ORG; default: the context's)");
  if (!example.empty()) c->footer("Example:\n  " + example);
  entries_.push_back({c, std::move(run), std::move(flags)});
  return c;
}

std::optional<int> Registry::Run(std::ostream& out, std::ostream& err) {
  const Entry* chosen = nullptr;
  for (const Entry& e : entries_)
    if (e.app->parsed()) chosen = &e;  // children are registered after their parents: last wins
  if (!chosen) return std::nullopt;
  Env env(*chosen->flags, out, err, &out == &std::cout ? UseColor(1) : false,
          &err == &std::cerr ? UseColor(2) : false);
  // Progress only for a person at a terminal: stderr is the real one and a tty.
  std::string command;
  for (const CLI::App* a = chosen->app; a && a->get_parent(); a = a->get_parent())
    command = a->get_name() + (command.empty() ? "" : " " + command);
  env.set_progress(command, &err == &std::cerr ? ProgressStyleFor(2) : ProgressStyle::kNone);
  Status st = env.Init();
  if (st) st = chosen->run(env);
  if (st) return kExitOk;
  out.flush();
  if (env.format() != Format::kTable && st.error().detail != kUsageMarker) {
    // Scripts get the error as JSON on stderr too, in the API's shape.
    json body = {{"code", std::string(ErrorCodeName(st.error().code))}, {"message", st.error().message}};
    if (st.error().layer != Layer::kNone) body["layer"] = std::string(LayerName(st.error().layer));
    if (!st.error().details.empty()) body["details"] = st.error().details;
    err << json{{"error", body}}.dump() << "\n";
  } else {
    err << FormatError(st.error(), env.err_color());
  }
  return ExitCodeFor(st.error());
}

// ---- helpers ----

Result<json> FindRow(const std::vector<json>& items, const std::string& ref, const std::string& id_pointer,
                     const std::string& key_pointer, const std::string& what, const std::string& hint) {
  const json::json_pointer idp(id_pointer), keyp(key_pointer);
  for (const json& it : items)
    if (it.contains(idp) && it[idp].is_string() && it[idp].get<std::string>() == ref) return it;
  std::vector<const json*> hits;
  const std::string lower = ToLower(ref);
  for (const json& it : items)
    if (it.contains(keyp) && it[keyp].is_string() && ToLower(it[keyp].get<std::string>()) == lower) hits.push_back(&it);
  if (hits.size() == 1) return *hits[0];
  if (hits.size() > 1) return UsageError("More than one " + what + " is called '" + ref + "'; give its id (" + hint + ").");
  return Err(ErrorCode::kNotFound, "No " + what + " '" + ref + "' here; see `" + hint + "`.");
}

Result<std::string> ReadFileArg(const std::string& path, const std::string& flag) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError(flag + ": cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace wharf::cli
