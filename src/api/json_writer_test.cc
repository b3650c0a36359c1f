#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "api/json_writer.h"
#include "base/clock.h"
#include "domain/validate.h"

namespace wharf::api {
namespace {

TEST(JsonWriterTest, EscapesLikeNlohmannAndParsesBack) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("abc \"\\/\n\r\t\x01\x1f\x7f") + "é😀ü";
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    int len = rng() % 40;
    for (int i = 0; i < len; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    if (!domain::IsValidUtf8(s)) continue;  // the writer requires valid UTF-8, as stored text is
    JsonWriter w;
    w.BeginObject();
    w.Key("s");
    w.String(s);
    w.Key("n");
    w.Int(-42);
    w.Key("t");
    w.Time(1'700'000'000'123);
    w.Key("list");
    w.BeginArray();
    w.Bool(true);
    w.Null();
    w.EndArray();
    w.EndObject();
    auto parsed = nlohmann::json::parse(w.Take(), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << s;
    EXPECT_EQ(parsed["s"], s);
    EXPECT_EQ(parsed["n"], -42);
    EXPECT_EQ(parsed["t"], FormatRfc3339(1'700'000'000'123));
    EXPECT_EQ(parsed["list"], nlohmann::json::parse("[true, null]"));
  }
}

}  // namespace
}  // namespace wharf::api
