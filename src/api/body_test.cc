#include "api/body.h"

#include <gtest/gtest.h>

#include "api/sse.h"

namespace wharf::api {
namespace {

HttpRequest Post(std::string body, std::string content_type = "application/json") {
  HttpRequest r;
  r.method = "POST";
  if (!content_type.empty()) r.headers.emplace_back("content-type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

// The Content-Type check was a substring match: text/plain; charset=application/json (a type a
// cross-site form may send without a preflight) passed as JSON.
TEST(MediaTypeTest, OnlyApplicationJsonItselfIsJson) {
  EXPECT_TRUE(IsJsonMediaType("application/json"));
  EXPECT_TRUE(IsJsonMediaType("Application/JSON; charset=UTF-8"));
  EXPECT_TRUE(IsJsonMediaType(" application/json ; charset=\"utf-8\" "));
  EXPECT_FALSE(IsJsonMediaType("text/plain; charset=application/json"));
  EXPECT_FALSE(IsJsonMediaType("text/plain;application/json"));
  EXPECT_FALSE(IsJsonMediaType("application/json-seq"));
  EXPECT_FALSE(IsJsonMediaType("application/jsonx"));
  EXPECT_FALSE(IsJsonMediaType("application/json; charset=\"utf-8"));  // unclosed quote
  EXPECT_FALSE(IsJsonMediaType("application / json"));
  auto m = ParseMediaType("multipart/form-data; Boundary=\"a\\\"b\"; x=y");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "multipart");
  ASSERT_EQ(m->params.size(), 2u);
  EXPECT_EQ(m->params[0].first, "boundary");
  EXPECT_EQ(m->params[0].second, "a\"b");
  auto refused = Body::Parse(Post("{}", "text/plain; charset=application/json"), std::vector<std::string_view>{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupportedMedia);
}

TEST(BodyTest, DeepBodyIsRefusedAtParse) {
  auto r = Body::Parse(Post("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}"), {"a"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
  EXPECT_NE(r.error().message.find("deeper than 32"), std::string::npos);
}

TEST(BodyTest, KnownFieldsTypedGettersAndTake) {
  auto b = Body::Parse(Post(R"({"name":"web","port":8080,"on":true,"app":"a1","big":18446744073709551615})"),
                       {"name", "port", "on", "app", "big"});
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->String("name"), "web");
  EXPECT_EQ(**b->OptInt("port"), 8080);
  EXPECT_EQ(**b->OptBool("on"), true);
  EXPECT_FALSE(b->OptInt("big"));  // would have wrapped to -1
  EXPECT_TRUE(b->Raw("absent").is_null());
  EXPECT_EQ(b->Take("app"), "a1");
  EXPECT_FALSE(b->Has("app"));
  auto unknown = Body::Parse(Post(R"({"nope":1})"), {"name"});
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().details["fields"].contains("nope"));
}

// One declaration parses and documents a body: Parse enforces each declared field's type, length,
// enum, range and presence (every problem in one answer), the getters take its limits, and
// FieldsSchema says the same.
TEST(FieldsTest, ParseEnforcesWhatTheSchemaDocuments) {
  const Fields f = {Str("name", 5).Req(), Enum("action", {"deploy", "stop"}), Int("port").Range(1, 65535),
                    Bool("on"), Secret("password", 8)};
  auto ok = Body::Parse(Post(R"({"name":"web","action":"stop","port":22,"password":"pw"})"), f);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok->String("name"), "web");
  auto bad = Body::Parse(Post(R"({"name":"toolong","action":"go","port":0,"on":"yes","x":1})"), f);
  ASSERT_FALSE(bad);
  const auto& fields = bad.error().details["fields"];
  for (const char* k : {"name", "action", "port", "on", "x"}) EXPECT_TRUE(fields.contains(k)) << k;
  auto missing = Body::Parse(Post("{}"), f);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().details["fields"]["name"], "is required");

  auto s = FieldsSchema(f);
  EXPECT_EQ(s["required"], nlohmann::json::array({"name"}));
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["properties"]["name"]["maxLength"], 5);
  EXPECT_EQ(s["properties"]["action"]["enum"], nlohmann::json::array({"deploy", "stop"}));
  EXPECT_EQ(s["properties"]["port"]["maximum"], 65535);
  EXPECT_EQ(s["properties"]["password"]["writeOnly"], true);
}

TEST(CookieTest, ReadsTheNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; wharf_session=abc; b=2", "wharf_session"), "abc");
  EXPECT_EQ(CookieValue("xwharf_session=abc", "wharf_session"), "");
}

// SSE framing split only on '\n': a '\r' in build output ended the line for the reader, so
// "50%\revent: end" in a log set the event type to end.
TEST(SseTest, CarriageReturnCannotStartAField) {
  EXPECT_EQ(SseEvent("log", "a\nb"), "event: log\ndata: a\ndata: b\n\n");
  EXPECT_EQ(SseEvent("log", "50%\revent: end\r\ndata: {}\r\n\r\nretry: 1"),
            "event: log\ndata: 50%\ndata: event: end\ndata: data: {}\ndata: \ndata: retry: 1\n\n");
  EXPECT_EQ(SseEvent("lo\ng\r", "x"), "event: log\ndata: x\n\n");
  EXPECT_EQ(SseEvent("end", ""), "event: end\ndata: \n\n");
}

}  // namespace
}  // namespace wharf::api
