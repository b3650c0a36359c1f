// Docker image references, parsed exactly as Docker does (github.com/distribution/reference:
// ParseNormalizedNamed + TagNameOnly), with a precise error for a malformed one.
//
//   WHARF_ASSIGN_OR_RETURN(domain::ImageRef r, domain::ParseImageRef("nginx", "image"));
//   r.domain == "docker.io"; r.path == "library/nginx"; r.tag == "latest"; r.String() == "docker.io/library/nginx:latest"
//
// Registry hosts: NormalizeRegistryHost folds Docker Hub's aliases (index.docker.io,
// registry-1.docker.io, registry.hub.docker.com) into "docker.io" and lower-cases;
// RegistryApiHost is where Docker Hub's v2 API actually answers (registry-1.docker.io).
// Plain functions; no I/O; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace wharf::domain {

struct ImageRef {
  std::string domain;  // "docker.io", "ghcr.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/nginx", "owner/app"
  std::string tag;     // "latest" when neither a tag nor a digest was given; "" with a digest only
  std::string digest;  // "sha256:<64 hex>" or ""
  std::string Name() const { return domain + "/" + path; }
  // What a manifest URL names: the digest when there is one, else the tag.
  std::string Reference() const { return digest.empty() ? tag : digest; }
  std::string String() const;  // "docker.io/library/nginx:latest", "ghcr.io/o/a@sha256:…"
};

// Errors are kValidationFailed on `field`, naming the part that is wrong and Docker's own words.
Result<ImageRef> ParseImageRef(std::string_view s, std::string_view field);

// "docker.io" for Docker Hub's aliases; lower-cased otherwise. Does not validate.
std::string NormalizeRegistryHost(std::string_view host);
// Where the Registry v2 API of `domain` answers: registry-1.docker.io for docker.io, else domain.
std::string RegistryApiHost(std::string_view domain);
// A registry host for a credential: "docker.io", "ghcr.io", "quay.io", "registry.digitalocean.com"
// or any host[:port] (a DNS name, IPv4, or [IPv6]); no scheme, no path. Returns it normalised.
Result<std::string> ValidateRegistryHost(std::string_view host, std::string_view field);

}  // namespace wharf::domain
