// Pasted error text → the layer it belongs to, with the seed's "Permission error patterns" table
// and the SSH/permission messages as rules. Git and SSH problems are told apart: a git clone that
// fails is the git provider's credential, not the server's SSH key, and the reverse.
//
//   auto c = diagnose::Classify("fatal: Authentication failed for 'https://gitlab.com/a/b.git/'");
//   c.layer == "git_token"
//
// Pure functions; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wharf::diagnose {

struct Classification {
  std::string layer;    // API.md layers: permissions, ssh, network, git_token, github_app, registry,
                        // backup_storage, aws_iam, webhook, email, seat_limit; "" when unknown
  std::string matched;  // the phrase that decided it
  std::string title;    // "Git token, GitHub App installation, or repo allow-list"
  std::vector<std::string> causes;  // likely causes, most likely first
  std::string not_this;             // what will not help ("Fixing SSH will not help: …")
  std::string page;                 // docs/troubleshooting/… page
};

Classification Classify(std::string_view text);

}  // namespace wharf::diagnose
