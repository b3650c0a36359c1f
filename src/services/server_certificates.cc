// certificate.expiring (docs/notifications.md "TLS certificates"): the health check of a server
// it reached reads, at most every certificate_check_interval_ms, the certificate the server's
// proxy serves for each Let's Encrypt domain of the server's applications (a TLS handshake to the
// server's own address with the domain as SNI), adds what it read to the check's report, and
// warns when a certificate covering its domain is close to its end.
#include <algorithm>
#include <optional>

#include "base/log.h"
#include "services/servers.h"

namespace wharf::services {

using nlohmann::json;

bool Servers::CertificatesDue(const std::string& server_id) {
  const Timestamp now = clock_.Now();
  std::lock_guard lock(cert_mu_);
  auto [it, fresh] = cert_checked_at_.try_emplace(server_id, now);
  if (!fresh && now - it->second < config_.certificate_check_interval_ms) return false;
  it->second = now;
  return true;
}

Servers::CertificateSweep Servers::SweepCertificates(const domain::Server& s) {
  struct Domain {
    domain::Application app;
    domain::AppService service;
    std::string hostname;
  };
  std::vector<Domain> domains;
  auto rd = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto apps, tx.applications().ListOnServer(s.org_id, s.id));
    for (const auto& a : apps) {
      WHARF_ASSIGN_OR_RETURN(auto services, tx.app_services().ListForApplication(s.org_id, a.id));
      for (const auto& svc : services) {
        json c = json::parse(svc.config, nullptr, false);
        if (!c.is_object() || !c.contains("domains") || !c["domains"].is_array()) continue;
        for (const auto& d : c["domains"])
          if (d.is_object() && d.value("letsencrypt", false) && !d.value("hostname", "").empty())
            domains.push_back({a, svc, d.value("hostname", "")});
      }
    }
    return Ok();
  });
  CertificateSweep out;
  out.report = json::array();
  if (!rd) {
    log::Warn("certificate_sweep_failed", {{"server_id", s.id}, {"error", rd.error().message}});
    return out;
  }
  const nodes::ConnectOptions connect = node_access_.NodeConnectOptions();  // timeout, private-target guard
  // When host:port itself cannot be reached, every domain fails the same way: one attempt, not one
  // connect timeout per domain.
  std::optional<std::string> unreachable;
  for (const auto& d : domains) {
    json entry = {{"application", d.app.name}, {"service", d.service.name}, {"hostname", d.hostname}};
    if (unreachable) {
      entry["error"] = *unreachable;
      out.report.push_back(std::move(entry));
      continue;
    }
    auto cert = nodes_.ReadServedCertificate(s.host, config_.certificate_check_port, d.hostname, connect);
    if (!cert) {
      if (cert.error().details.value("stage", "") == "connect") unreachable = cert.error().message;
      entry["error"] = cert.error().message;
      out.report.push_back(std::move(entry));
      continue;
    }
    const Timestamp now = clock_.Now();
    entry["not_after"] = FormatRfc3339(cert->not_after_ms);
    entry["days_left"] = (cert->not_after_ms - now) / 86'400'000;
    entry["issuer"] = cert->issuer;
    entry["subject"] = cert->subject;
    entry["matches_hostname"] = cert->matches_name;
    // A certificate for another name (the proxy's default, before Let's Encrypt issued one) is
    // reported, not announced: its expiry says nothing about this domain's.
    if (!cert->matches_name) {
      entry["error"] = "The server answers " + d.hostname + " with a certificate for " + cert->subject +
                       ", not for " + d.hostname + ".";
      out.report.push_back(std::move(entry));
      continue;
    }
    out.report.push_back(std::move(entry));
    const auto stage = notify::CertificateStageOf(cert->not_after_ms - now, config_.certificate_alert_days);
    if (stage == notify::CertificateStage::kNone) continue;
    notify::Event e;
    e.kind = notify::EventKind::kCertificateExpiring;
    e.severity = stage == notify::CertificateStage::kAhead ? notify::Severity::kWarning : notify::Severity::kCritical;
    e.subject = d.app.name + "/" + d.service.name + " (" + d.hostname + ")";
    e.application_id = d.app.id;
    e.server_id = s.id;
    e.application = d.app.name;
    e.service = d.service.name;
    e.server = s.name;
    const int64_t hours = (cert->not_after_ms - now) / 3'600'000;
    const std::string served = "The TLS certificate that the server " + s.name + " (" + s.host + ") serves for " +
                               d.hostname + " (service " + d.service.name + " of " + d.app.name + ", issued by " +
                               (cert->issuer.empty() ? std::string("an unnamed issuer") : cert->issuer) + ")";
    e.what = stage == notify::CertificateStage::kExpired
                 ? served + " expired at " + FormatRfc3339(cert->not_after_ms) + ": browsers refuse the site."
                 : served + " expires at " + FormatRfc3339(cert->not_after_ms) + " (in " +
                       (hours >= 48 ? std::to_string(hours / 24) + " days" : std::to_string(hours) + " hours") +
                       "): Let's Encrypt certificates renew 30 days ahead, so renewal has not worked.";
    e.layer = "network";
    e.fix = "Check that " + d.hostname + " resolves to " + s.host +
            " and port 80 reaches the server (Let's Encrypt's HTTP challenge), then renew on the server: "
            "dokku letsencrypt:enable " + d.service.name + " --force";
    e.link = "/applications/" + d.app.id + "/services/" + d.service.id;
    e.occurred_at_ms = now;
    e.dedup_key = "certificate:" + d.service.id + ":" + d.hostname + ":" + std::to_string(cert->not_after_ms) + ":" +
                  std::string(notify::CertificateStageName(stage));
    out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace wharf::services
