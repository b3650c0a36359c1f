// Webhook deliveries: the push payload reader of every provider kind (the first byte picks one).
#include <cstdint>

#include "integrations/webhook_payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* kKinds[] = {"github_app", "gitlab", "gitea", "bitbucket", "azure_devops"};
  if (size == 0) return 0;
  const char* kind = kKinds[data[0] % 5];
  (void)wharf::integrations::ParseWebhookPush(kind, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  return 0;
}
