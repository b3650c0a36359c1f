// Resolving a service's variables (issue 5 target: 200 variables with 50 references in < 1 ms).
// Each iteration does what a deploy does after opening the sealed rows: parse every template of
// the application (Resolver's constructor) and resolve the service.
#include <benchmark/benchmark.h>

#include <random>

#include "domain/apps.h"
#include "domain/variables.h"

namespace {

using namespace wharf::domain;

std::vector<ServiceVars> Application() {
  std::mt19937_64 rng(5);
  RandomFill random = [&rng](unsigned char* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(rng());
  };
  auto pg = *FindDatabaseEngine("postgres", "e");
  ServiceVars db{"db", {}, DatabaseBuiltins(pg, *ParseDsn("postgres://postgres:p4ssw0rdp4ssw0rdp4ssw0rdp4ssw0rd@dokku-postgres-db:5432/db")), {}};
  ServiceVars api{"api", {}, {{"DOMAIN", "api.example.com"}}, {}};
  for (int i = 0; i < 20; ++i) api.variables.push_back({"API_" + std::to_string(i), "value-" + std::to_string(i), {}});
  ServiceVars web{"web", {}, {{"DOMAIN", "shop.example.com"}}, {}};
  const char* parts[] = {"DATABASE_URL", "HOST", "PORT", "USER", "PASSWORD", "NAME"};
  // 200 variables: 130 plain, 20 secret(), 50 with one reference each (db built-ins, another
  // service's variables, this service's own variables and DOMAIN).
  for (int i = 0; i < 200; ++i) {
    std::string key = "VAR_" + std::to_string(i), value;
    if (i < 130) value = "plain text value number " + std::to_string(i) + " with some length to copy around";
    else if (i < 150) value = "{{ secret(32, \"abcdefghijklmnopqrstuvwxyz0123456789\") }}";
    else if (i < 170) value = "postgres-part={{ db." + std::string(parts[i % 6]) + " }}";
    else if (i < 185) value = "{{ api.API_" + std::to_string(i % 20) + " }}/suffix";
    else if (i < 195) value = "prefix-{{ web.VAR_" + std::to_string(i - 185) + " }}";
    else value = "https://{{ web.DOMAIN }}/path/" + std::to_string(i);
    web.variables.push_back({key, value, {}});
  }
  for (auto& v : web.variables) CarrySecrets(nullptr, *ParseTemplate(v.value, "v"), false, random, v);
  return {db, api, web};
}

void BM_ResolveService200Vars50Refs(benchmark::State& state) {
  const auto app = Application();
  size_t bytes = 0;
  for (auto _ : state) {
    Resolver r(app);
    auto env = r.Resolve("web");
    if (!env) state.SkipWithError(env.error().message.c_str());
    bytes = env->size();
    benchmark::DoNotOptimize(env);
  }
  state.counters["variables"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ResolveService200Vars50Refs)->Unit(benchmark::kMicrosecond);

void BM_ValidateService200Vars50Refs(benchmark::State& state) {
  const auto app = Application();
  for (auto _ : state) {
    Resolver r(app);
    auto st = r.Validate("web");
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_ValidateService200Vars50Refs)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
