// Git inputs: repository names, refs, build paths, base URLs and clone URLs for each token host.
// What is accepted is accepted again unchanged, and a clone URL never carries credentials.
#include <cstdint>
#include <string>

#include "domain/apps.h"
#include "fuzz_util.h"
#include "integrations/git.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf;
  fuzz::Fields f(data, size);
  if (auto r = domain::ValidateGitRef(f.Field(0), "branch")) {
    auto again = domain::ValidateGitRef(*r, "branch");
    WHARF_FUZZ_CHECK(again && *again == *r);
    WHARF_FUZZ_CHECK(r->find("..") == std::string::npos && !r->empty() && (*r)[0] != '-');
  }
  if (auto r = domain::ValidateGitRepository(f.Field(1), "repository")) {
    auto again = domain::ValidateGitRepository(*r, "repository");
    WHARF_FUZZ_CHECK(again && *again == *r);
  }
  if (auto r = domain::ValidateBuildPath(f.Field(2), "build_path")) {
    // Never a '.' or '..' part (a name such as "..pt" is a file name, not a way out).
    size_t start = 0;
    while (start <= r->size()) {
      size_t end = r->find('/', start);
      if (end == std::string::npos) end = r->size();
      const std::string part = r->substr(start, end - start);
      WHARF_FUZZ_CHECK(part != "." && part != "..");
      start = end + 1;
    }
  }
  auto base = integrations::ValidateBaseUrl(f.Field(3), "base_url");
  if (base) {
    auto again = integrations::ValidateBaseUrl(*base, "base_url");
    WHARF_FUZZ_CHECK(again && *again == *base);
  }
  static const char* kKinds[] = {"gitlab", "bitbucket", "gitea", "azure_devops"};
  for (const char* kind : kKinds) {
    const integrations::TokenHostInfo* host = integrations::FindTokenHost(kind);
    if (!host) continue;
    std::string b = base ? *base : std::string(host->default_base_url);
    auto url = integrations::ParseCloneUrl(*host, b, f.Field(4), "repository");
    if (url) {
      WHARF_FUZZ_CHECK(url->url.rfind("https://", 0) == 0);
      WHARF_FUZZ_CHECK(url->url.find('@') == std::string::npos);
    }
  }
  return 0;
}
