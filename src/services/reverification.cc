// The scheduled re-verification of integrations: the due rows (verified at least once, the last
// verification older than the interval), a bounded batch per run, each through its kind's
// Verify use case as the system (services/reverification.h).
#include "services/reverification.h"

#include <algorithm>
#include <vector>

#include "base/log.h"

namespace wharf::services {

namespace {
// The kinds re-verified on the schedule: not notification channels (a test answers at once and a
// failing channel cannot report itself) and not the EC2 security-group link rows.
const std::vector<std::string>& ScheduledKinds() {
  static const std::vector<std::string> kinds = {kGitProviders.name, kDockerRegistries.name, kCloudAccounts.name,
                                                 kBackupStorage.name};
  return kinds;
}
std::optional<std::string> Given(const std::string& v) {
  return v.empty() ? std::nullopt : std::optional<std::string>(v);
}
}  // namespace

Reverification::Reverification(Core& core, Registries& registries, GitProviders& git_providers,
                               CloudAccounts& cloud_accounts, BackupStorage& backup_storage)
    : Feature(core),
      registries_(registries),
      git_providers_(git_providers),
      cloud_accounts_(cloud_accounts),
      backup_storage_(backup_storage) {}

Reverification::~Reverification() { Stop(); }

int Reverification::RunDueVerifications() {
  bool idle = false;
  if (!running_.compare_exchange_strong(idle, true)) return 0;
  int n = RunBatch();
  running_ = false;
  return n;
}

void Reverification::StartDueVerifications() {
  if (stopping_ || config_.integration_verify_interval_ms <= 0 || !store_.IsScheduler()) return;
  bool idle = false;
  if (!running_.compare_exchange_strong(idle, true)) return;  // the last batch still runs
  std::lock_guard lock(mu_);
  if (runner_.joinable()) runner_.join();  // the last batch, already done
  runner_ = std::jthread([this] {
    RunBatch();
    running_ = false;
  });
}

void Reverification::Stop() {
  stopping_ = true;
  std::jthread running;
  {
    std::lock_guard lock(mu_);
    running = std::move(runner_);
  }
  if (running.joinable()) running.join();
}

int Reverification::RunBatch() {
  if (stopping_ || config_.integration_verify_interval_ms <= 0 || !store_.IsScheduler()) return 0;
  const Timestamp now = clock_.Now();
  const int batch = std::max(1, config_.integration_verify_batch);
  std::vector<domain::Integration> due;
  auto st = store_.Read([&](store::Tx& tx) -> Status {
    // More than a batch: rows that cannot be verified now (see VerifyRow) are passed over.
    WHARF_ASSIGN_OR_RETURN(due, tx.integrations().ListVerifyDue(ScheduledKinds(),
                                                                now - config_.integration_verify_interval_ms, batch * 10));
    return Ok();
  });
  if (!st) {
    log::Warn("integration_verify_sweep_failed", {{"error", st.error().message}});
    return 0;
  }
  {
    std::lock_guard lock(skip_mu_);
    std::erase_if(unverifiable_until_, [&](const auto& e) { return e.second <= now; });
    std::erase_if(due, [&](const domain::Integration& r) { return unverifiable_until_.count(r.id) > 0; });
  }
  if (due.size() > static_cast<size_t>(batch)) due.resize(batch);
  if (due.empty()) return 0;
  std::atomic<size_t> next{0};
  std::atomic<int> verified{0}, waiting{0};
  auto worker = [&] {
    for (size_t i; !stopping_ && (i = next.fetch_add(1)) < due.size();) {
      const domain::Integration& row = due[i];
      // Counted with the org's Verify and Test requests: a busy org's row waits for the next run.
      if (!core_.outbound.TryAcquire(row.org_id)) {
        ++waiting;
        continue;
      }
      if (VerifyRow(row)) ++verified;
      core_.outbound.Release(row.org_id);
    }
  };
  const int n = std::clamp(config_.integration_verify_concurrency, 1, static_cast<int>(due.size()));
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  }
  log::Info("integration_verify_ran", {{"due", due.size()}, {"verified", verified.load()}, {"waiting", waiting.load()}});
  return verified;
}

bool Reverification::VerifyRow(const domain::Integration& row) {
  const authz::Principal p = SystemActor(row.org_id);
  const RequestContext ctx{.request_id = ids_.New("sched"), .ip = "", .user_agent = "wharf scheduler", .scheduled = true};
  Result<CheckOutcome> out = Err(ErrorCode::kInternal, "not a scheduled kind");
  if (row.kind == kDockerRegistries.name) {
    // A registry is verified by pulling an image: the one of its last verification.
    const std::string image = row.Field("verify_image");
    if (image.empty())
      out = Err(ErrorCode::kValidationFailed,
                "no image to check: verify the registry once with an image, later runs check that image again");
    else
      out = registries_.VerifyDockerRegistry(p, row.id, image, ctx);
  } else if (row.kind == kGitProviders.name) {
    out = git_providers_.VerifyGitProvider(p, row.id, Given(row.Field("verify_repository")),
                                           Given(row.Field("verify_branch")), ctx);
  } else if (row.kind == kCloudAccounts.name) {
    out = cloud_accounts_.VerifyCloudAccount(p, row.id, std::nullopt, ctx);
  } else if (row.kind == kBackupStorage.name) {
    out = backup_storage_.VerifyBackupStorage(p, row.id, ctx);
  }
  if (!out) {
    // Not a failed check but a row that cannot be verified now: left alone for an interval.
    log::Warn("integration_verify_skipped", {{"integration_id", row.id}, {"kind", row.kind}, {"error", out.error().message}});
    std::lock_guard lock(skip_mu_);
    unverifiable_until_[row.id] = clock_.Now() + config_.integration_verify_interval_ms;
    return false;
  }
  log::Info("integration_verified", {{"integration_id", row.id}, {"kind", row.kind}, {"ok", out->ok}, {"scheduled", true}});
  return true;
}

}  // namespace wharf::services
