// Counting allocations needs a replaced global operator new/delete pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
// Benchmarks for the authorization check (issue 2: ≤ 20 ns median, zero allocations, flat in
// policy size). Run: build/src/authz/authz_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "authz/authz.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace wharf::authz {
namespace {

using domain::Collection;

domain::Role CustomRole(int i) {
  domain::Role r;
  r.id = "rol_" + std::to_string(i);
  r.name = "role" + std::to_string(i);
  for (Collection c : domain::AllCollections()) {
    auto& g = r.permissions[c];
    g.read = (i + static_cast<int>(c)) % 2 == 0;
    g.update = (i + static_cast<int>(c)) % 3 == 0;
    g.create = (i + static_cast<int>(c)) % 5 == 0;
    g.read_scope = (i % 7 == 0) ? domain::ReadScope::kOwn : domain::ReadScope::kAll;
  }
  r.permissions[Collection::kServers].update = true;
  return r;
}

// A population of orgs × roles; each principal holds one compiled snapshot.
std::vector<Principal> Population(int orgs, int roles_per_org) {
  std::vector<Principal> out;
  out.reserve(static_cast<size_t>(orgs) * roles_per_org);
  for (int o = 0; o < orgs; ++o)
    for (int r = 0; r < roles_per_org; ++r) {
      Principal p;
      p.user_id = "usr_" + std::to_string(r);
      p.org_id = "org_" + std::to_string(o);
      p.role = Compile(CustomRole(o * roles_per_org + r));
      Bind(p);
      out.push_back(std::move(p));
    }
  return out;
}

void BM_Check(benchmark::State& state) {
  auto principals = Population(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::mt19937 rng(42);
  std::vector<uint32_t> picks(4096);
  for (auto& x : picks) x = rng() % principals.size();
  Resource row{.id = "key_1", .created_by = "usr_1"};
  size_t i = 0;
  uint64_t allowed = 0;
  uint64_t allocs_before = g_allocs.load();
  for (auto _ : state) {
    const Principal& p = principals[picks[i++ & 4095]];
    Decision d = Check(p, Collection::kServers, Action::kUpdate, &row);
    allowed += d.allowed();
    benchmark::DoNotOptimize(d);
  }
  state.counters["allocs_per_check"] =
      static_cast<double>(g_allocs.load() - allocs_before) / static_cast<double>(state.iterations());
  benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_Check)->Args({1, 1})->Args({1000, 100})->ArgNames({"orgs", "roles_per_org"});

void BM_CheckAdmin(benchmark::State& state) {
  domain::Role admin;
  admin.builtin = true;
  Principal p;
  p.user_id = "usr_1";
  p.role = Compile(admin);
  Bind(p);
  for (auto _ : state) benchmark::DoNotOptimize(Check(p, Collection::kTeam, Action::kDelete));
}
BENCHMARK(BM_CheckAdmin);

}  // namespace
}  // namespace wharf::authz

BENCHMARK_MAIN();
