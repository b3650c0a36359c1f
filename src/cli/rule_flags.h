// Security group rules as flags: `--inbound ssh=203.0.113.0/24`, `--inbound custom-tcp:8000-8100=10.0.0.0/8`.
//
//   WHARF_ASSIGN_OR_RETURN(nlohmann::json rule, ParseRuleSpec("custom-tcp:8000-8100=10.0.0.0/8", "inbound"));
//   // {"type": "custom-tcp", "from_port": 8000, "to_port": 8100, "source": "10.0.0.0/8"}
//
// The form is TYPE[:PORT[-PORT]]=SOURCE. The server validates the type, ports and CIDR and names the
// problem; this only checks the shape. Errors are kValidationFailed naming `flag`. Pure function.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace wharf::cli {

Result<nlohmann::json> ParseRuleSpec(std::string_view spec, std::string_view flag);

// "ssh 22/tcp from 10.0.0.0/8" for tables.
std::string DescribeRule(const nlohmann::json& rule);

}  // namespace wharf::cli
