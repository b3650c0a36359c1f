// SSH keys of an org.
#include "api/routes.h"

#include "api/body.h"
#include "api/json_writer.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

json SshKeyJson(const domain::SshKey& k) {
  return {{"id", k.id}, {"name", k.name}, {"type", k.type}, {"public_key", k.public_key},
          {"fingerprint", k.fingerprint}, {"private_key", {{"set", k.private_key_set}}},
          {"created_at", Time(k.created_at)}, {"updated_at", Time(k.updated_at)}, {"created_by", k.created_by}};
}

void WriteSshKey(JsonWriter& w, const domain::SshKeyView& k) {
  w.BeginObject();
  w.Key("id"); w.String(k.id);
  w.Key("name"); w.String(k.name);
  w.Key("type"); w.String(k.type);
  w.Key("public_key"); w.String(k.public_key);
  w.Key("fingerprint"); w.String(k.fingerprint);
  w.Key("private_key"); w.BeginObject(); w.Key("set"); w.Bool(k.private_key_set); w.EndObject();
  w.Key("created_at"); w.Time(k.created_at);
  w.Key("updated_at"); w.Time(k.updated_at);
  w.Key("created_by"); w.String(k.created_by);
  w.EndObject();
}

}  // namespace

void AddSshKeyRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  // --- ssh keys ---
  // SshKeyJson and WriteSshKey write this shape.
  rt.AddSchema("SshKey", oas::Object({{"id", oas::String()}, {"name", oas::String()},
                                      {"type", oas::String("ed25519, rsa, ecdsa, ...")}, {"public_key", oas::String()},
                                      {"fingerprint", oas::String("SHA256:...")}, {"private_key", oas::IsSet()},
                                      {"created_at", oas::Time()}, {"updated_at", oas::Time()},
                                      {"created_by", oas::String()}}));
  const Fields key_fields = {Str("name", 200).Example("deploy"), Str("public_key", 16384).Example("ssh-ed25519 AAAA... ada@laptop"),
                             Secret("private_key", 32768)};
  const Fields add_key_fields = key_fields.With(
      {Any("generate", oas::Object({{"type", oas::Enum({"ed25519", "rsa"})}}, {"type"}))
           .Desc("Generate a key pair on the server instead of importing one")});
  auto parse_key = [](const Body& b) -> Result<services::SshKeyInput> {
    services::SshKeyInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
    WHARF_ASSIGN_OR_RETURN(in.public_key, b.OptString("public_key"));
    WHARF_ASSIGN_OR_RETURN(in.private_key, b.OptSecret("private_key"));
    return in;
  };
  rt.Add("GET", "/api/v1/orgs/{org}/ssh-keys", A::kOrg, "sshKeys", "List SSH keys (sshKeys.read)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        // The hot list path writes JSON straight from the database rows (see docs/performance.md).
        JsonWriter w(512 * static_cast<size_t>(limit) + 64);
        w.BeginObject();
        w.Key("items");
        w.BeginArray();
        WHARF_ASSIGN_OR_RETURN(std::string next, s.ssh_keys().VisitSshKeys(c.p(), limit, c.req.Query("cursor"), c.ctx,
                                                                [&w](const domain::SshKeyView& k) { WriteSshKey(w, k); }));
        w.EndArray();
        w.Key("next_cursor");
        if (next.empty()) w.Null();
        else w.String(next);
        w.EndObject();
        HttpResponse r;
        r.body = w.Take();
        return r;
      },
      ListOf("SshKey"));
  rt.Add("POST", "/api/v1/orgs/{org}/ssh-keys", A::kOrg, "sshKeys",
      "Add an SSH key: import {name, public_key, private_key?} or {name, private_key}, or generate {name, generate: "
      "{type: ed25519|rsa}} (sshKeys.create)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_key, add_key_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, add_key_fields));
        WHARF_ASSIGN_OR_RETURN(auto k, parse_key(b));
        services::SshKeyCreate in{std::move(k.name), std::move(k.public_key), std::move(k.private_key), {}};
        if (b.Has("generate")) {
          const json& g = b.Raw("generate");
          if (!g.is_object()) return FieldError("generate", "must be an object such as {\"type\": \"ed25519\"}");
          for (auto& [key, v] : g.items())
            if (key != "type") return FieldError("generate." + key, "is not a known field; allowed: type");
          if (g.contains("type") && !g["type"].is_string()) return FieldError("generate.type", "must be a string");
          in.generate = g.value("type", "ed25519");
        }
        WHARF_ASSIGN_OR_RETURN(auto key, s.ssh_keys().AddSshKey(c.p(), std::move(in), c.ctx));
        return Json(201, SshKeyJson(key));
      },
      Ref("SshKey"))
      .Request(add_key_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/ssh-keys/{id}/public-key", A::kOrg, "sshKeys",
      "Download the public key as an authorized_keys line (sshKeys.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto line, s.ssh_keys().SshPublicKey(c.p(), c.params[1], c.ctx));
        HttpResponse r;
        r.content_type = "text/plain; charset=utf-8";
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"wharf-" + std::string(c.params[1]) + ".pub\"");
        r.body = std::move(line);
        return r;
      })
      .Media("text/plain");
  rt.Add("GET", "/api/v1/orgs/{org}/ssh-keys/{id}", A::kOrg, "sshKeys", "An SSH key (sshKeys.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto k, s.ssh_keys().GetSshKey(c.p(), c.params[1], c.ctx));
        return Json(200, SshKeyJson(k));
      },
      Ref("SshKey"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/ssh-keys/{id}", A::kOrg, "sshKeys", "Rename an SSH key (sshKeys.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_key, key_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, key_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_key(b));
        WHARF_ASSIGN_OR_RETURN(auto k, s.ssh_keys().UpdateSshKey(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, SshKeyJson(k));
      },
      Ref("SshKey"))
      .Request(key_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/ssh-keys/{id}", A::kOrg, "sshKeys", "Delete an SSH key (sshKeys.delete)",
      {204, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.ssh_keys().DeleteSshKey(c.p(), c.params[1], c.ctx));
        return NoContent();
      });

}

}  // namespace wharf::api
