// The whole sign-in path through the use cases on a real SQLite store, with argon2id's cost
// taken out (the account's hash is made with t=1, m=8 KiB: VerifyPassword reads the cost from
// the hash), so what remains is everything Wharf adds around it: the throttles, the account
// read, the second-factor gate and the SSO-only check in the sign-in's transaction, the session
// row, then the first request's Authenticate and ResolvePrincipal. BM_SignInTotp adds the
// second step with a TOTP code (the clock moves 30 s per sign-in, as each code works once).
// Each benchmark reports the per-sign-in p50 and p99 in milliseconds (docs/performance.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <unistd.h>

#include "http_client/smtp.h"
#include "identity/totp.h"
#include "secrets/crypto.h"
#include "services/services.h"
#include "services/testing/fake_nodes.h"
#include "store/sqlite/sqlite_store.h"

namespace wharf::services {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  fs::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<secrets::Envelope> envelope;
  http_client::DisabledMailer mailer;
  FakeClock clock;
  RandomIdGenerator ids;
  authz::SnapshotCache cache;
  testing::FakeNodes nodes;
  std::unique_ptr<Services> svc;
  std::string email = "ada@example.test", org;
  SecretBytes password = SecretBytes::FromString("correct-horse-battery");
  std::string totp_key;  // raw bytes, when `with_totp`

  explicit Fixture(bool with_totp) {
    if (!secrets::Init()) std::abort();
    dir = fs::temp_directory_path() / ("wharf-signin-bench-" + std::to_string(::getpid()) + (with_totp ? "-totp" : ""));
    fs::remove_all(dir);
    fs::create_directories(dir);
    store = std::move(*store::OpenSqliteStore((dir / "wharf.db").string()));
    envelope = std::make_unique<secrets::Envelope>(secrets::Envelope::NewMasterKey());
    Config c;
    c.signup_policy = Config::SignupPolicy::kOpen;
    svc = std::make_unique<Services>(Deps{*store, *envelope, mailer, clock, ids, cache, nodes}, c);
    RequestContext ctx{"bench", "127.0.0.1", "bench"};
    // Other accounts and orgs, so the queries run on tables that are not empty.
    for (int i = 0; i < 50; ++i) {
      RequestContext other{"bench", "192.0.2." + std::to_string(i), "bench"};
      (void)svc->auth().Signup({"u" + std::to_string(i) + "@example.test", "U", SecretBytes::FromString("correct-horse-battery"),
                                std::nullopt}, other);
    }
    auto g = svc->auth().Signup({email, "Ada", SecretBytes::FromString("correct-horse-battery"), std::nullopt}, ctx);
    if (!g) std::abort();
    org = g->org->slug;
    if (with_totp) {
      auto who = svc->auth().Authenticate(g->token.view(), ctx);
      auto enrol = svc->second_factor().BeginTotp(**who, ctx);
      identity::Base32Decode(enrol->secret.view(), &totp_key);
      clock.Advance(30'000);
      if (!svc->second_factor().ConfirmTotp(**who, identity::Totp(totp_key, clock.Now() / 1000), ctx)) std::abort();
    }
    // The same password, hashed at the lowest argon2id cost.
    auto cheap = secrets::HashPasswordWithCost(password, 1, 8 * 1024);
    if (!cheap || !store->Write([&](store::Tx& tx) -> Status {
          WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindByEmail(email));
          u->password_hash = *cheap;
          return tx.users().Update(*u);
        }))
      std::abort();
  }
  ~Fixture() {
    svc.reset();
    store.reset();
    fs::remove_all(dir);
  }
};

void Report(benchmark::State& state, std::vector<double>& ms) {
  std::sort(ms.begin(), ms.end());
  if (ms.empty()) return;
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
}

// Each sign-in from its own address: the per-address throttle must not turn into the measured path.
RequestContext From(uint32_t n) {
  return {"bench", "10." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) + "." +
                       std::to_string(n & 255), "bench"};
}

void BM_SignInPassword(benchmark::State& state) {
  Fixture f(false);
  std::vector<double> ms;
  uint32_t n = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    RequestContext ctx = From(++n);
    auto g = f.svc->auth().Login(f.email, f.password, ctx);
    if (!g || g->token.view().empty()) {
      state.SkipWithError("sign-in failed");
      break;
    }
    auto who = f.svc->auth().Authenticate(g->token.view(), ctx);
    auto p = f.svc->auth().ResolvePrincipal(**who, f.org, ctx);
    benchmark::DoNotOptimize(p);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  Report(state, ms);
}
BENCHMARK(BM_SignInPassword)->Unit(benchmark::kMillisecond);

void BM_SignInTotp(benchmark::State& state) {
  Fixture f(true);
  std::vector<double> ms;
  uint32_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    f.clock.Advance(30'000);  // a new TOTP step: each code signs in once
    const std::string code = identity::Totp(f.totp_key, f.clock.Now() / 1000);
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    RequestContext ctx = From(++n);
    auto first = f.svc->auth().Login(f.email, f.password, ctx);
    if (!first || !first->second_factor) {
      state.SkipWithError("no second-factor challenge");
      break;
    }
    auto g = f.svc->second_factor().CompleteLogin(first->second_factor->challenge.view(), {.totp_code = code}, ctx);
    if (!g) {
      state.SkipWithError("second step failed");
      break;
    }
    auto who = f.svc->auth().Authenticate(g->token.view(), ctx);
    auto p = f.svc->auth().ResolvePrincipal(**who, f.org, ctx);
    benchmark::DoNotOptimize(p);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  Report(state, ms);
}
BENCHMARK(BM_SignInTotp)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wharf::services

BENCHMARK_MAIN();
