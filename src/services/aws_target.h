// Internal to services: the AWS call target for a cloud account's credentials, with the server's
// endpoint override, timeouts, backoff and private-target guard applied.
#pragma once

#include <string>

#include "base/secret_bytes.h"
#include "integrations/aws.h"
#include "services/config.h"

namespace wharf::services {

// `secret` and `token` must outlive the target (it keeps pointers). `token` may be null.
integrations::AwsTarget AwsTargetFor(const Config& config, const std::string& key_id, const SecretBytes* secret,
                                     const SecretBytes* token, const std::string& region);

}  // namespace wharf::services
