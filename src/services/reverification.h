// The scheduled re-verification of integrations (docs/integrations.md "Scheduled
// re-verification"): git providers, Docker registries, AWS cloud accounts and backup storage that
// were verified at least once are verified again, by the system, once their last verification is
// older than config.integration_verify_interval_ms (--integration-verify-interval-seconds; 0 = off).
// Each run is the kind's Verify use case (the Verify button's code path) with the inputs of the
// row's last verification (a registry's image, a git provider's repository and branch), audited
// with actor "system" and recorded on the row; a run that fails after a passing verification
// sends one integration.verify_failed (Integrations::RecordIntegrationVerify).
//
//   scheduler.AddTask("integration_verify", [&] { reverification.StartDueVerifications(); });
//   int n = reverification.RunDueVerifications();  // tests: one bounded batch, synchronously
//
// Thread-safety: every method is safe to call concurrently; at most one batch runs at a time.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "services/backup_storage.h"
#include "services/cloud_accounts.h"
#include "services/core.h"
#include "services/git_providers.h"
#include "services/integrations.h"
#include "services/registries.h"

namespace wharf::services {

class Reverification : public Feature {
 public:
  Reverification(Core& core, Registries& registries, GitProviders& git_providers, CloudAccounts& cloud_accounts,
                 BackupStorage& backup_storage);
  ~Reverification();

  // On the replica that holds the scheduler lock: verifies the due rows, oldest verification
  // first, at most config.integration_verify_batch of them, config.integration_verify_concurrency
  // at a time, each holding one of its org's outbound slots (a row whose org has none free waits
  // for the next batch). Returns how many rows it verified (0 when the schedule is off, another
  // replica schedules, or another batch is running).
  int RunDueVerifications();
  // The scheduler task: starts RunDueVerifications on a thread of its own unless a batch still
  // runs, and returns at once (a verification may wait seconds on a host that does not answer).
  void StartDueVerifications();
  // Waits for a running batch (after its current rows; no new row starts). Idempotent.
  void Stop();

 private:
  // One batch; the caller set running_, which it clears.
  int RunBatch();
  // Runs the kind's Verify use case on `row` for the system; an error (not a failed check) is
  // logged and the row is left alone for an interval. True when a verification was recorded.
  bool VerifyRow(const domain::Integration& row);

  Registries& registries_;
  GitProviders& git_providers_;
  CloudAccounts& cloud_accounts_;
  BackupStorage& backup_storage_;
  std::atomic<bool> running_{false};  // a batch is running
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::jthread runner_;  // GUARDED_BY(mu_)
  std::mutex skip_mu_;
  std::map<std::string, Timestamp> unverifiable_until_;  // GUARDED_BY(skip_mu_): row id → when to try again
};

}  // namespace wharf::services
