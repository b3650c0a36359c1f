// Internal to services: what a worker-node operation needs (servers.cc, jobs.cc).
#pragma once

#include <string>

#include "nodes/ssh.h"
#include "services/services.h"

namespace wharf::services {

struct Services::NodeTarget {
  nodes::Target target;   // holds the decrypted private key: never log, never copy into a job
  std::string key_label;  // "'deploy' (SHA256:…)" for messages
};

}  // namespace wharf::services
