// The S3 client's parts that need no server: the XML reader on the documents S3 answers with,
// the error classification of a verify, and Upload's part logic against a closed port
// (the round trip through a real S3 host is tests/e2e/backup_storage*.test.mjs).
#include <gtest/gtest.h>

#include "integrations/backup_storage.h"
#include "integrations/s3.h"
#include "integrations/xml.h"

namespace wharf::integrations {
namespace {

TEST(Xml, ReadsAnS3ErrorDocument) {
  auto doc = ParseXml(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'</Message><Region>eu-central-1</Region><RequestId>ABC</RequestId></Error>)");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->name, "Error");
  EXPECT_EQ(doc->ChildText("Code"), "AuthorizationHeaderMalformed");
  EXPECT_EQ(doc->ChildText("Region"), "eu-central-1");
  EXPECT_EQ(doc->ChildText("Message"), "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'");
  EXPECT_EQ(doc->ChildText("Missing"), "");
}

TEST(Xml, ReadsAListBucketResultWithNamespacesEntitiesAndCdata) {
  auto doc = ParseXml(R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>backups</Name><Prefix>db/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>db/a&amp;b &lt;1&gt;.dump</Key><Size>12</Size><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></Contents>
  <!-- a comment -->
  <Contents><Key><![CDATA[db/x<y>.dump]]></Key><Size>5242880</Size><ETag>"abc-2"</ETag></Contents>
  <s3:CommonPrefixes><s3:Prefix>db/old/</s3:Prefix></s3:CommonPrefixes>
  <Owner/>
</ListBucketResult>)");
  ASSERT_TRUE(doc) << doc.error().message;
  auto contents = doc->Children("Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[0]->ChildText("Key"), "db/a&b <1>.dump");
  EXPECT_EQ(contents[0]->ChildText("ETag"), "\"9b2cf535f27731c974343645a3985328\"");
  EXPECT_EQ(contents[1]->ChildText("Key"), "db/x<y>.dump");
  EXPECT_EQ(doc->Child("CommonPrefixes")->ChildText("Prefix"), "db/old/");
  EXPECT_EQ(doc->ChildText("IsTruncated"), "true");
  ASSERT_NE(doc->Child("Owner"), nullptr);
}

TEST(Xml, NumericCharacterReferencesBecomeUtf8) {
  auto doc = ParseXml("<K>caf&#233; &#x1F600;</K>");
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->text, "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(Xml, RefusesMalformedDocumentsAndNeverExpandsEntities) {
  for (const char* bad : {"", "plain text", "<a><b></a>", "<a>", "<a></a><b></b>", "<a>&#xZZ;</a>",
                          "<a attr=\"x></a>", "<a><![CDATA[x</a>"}) {
    EXPECT_FALSE(ParseXml(bad)) << bad;
  }
  // A DOCTYPE is skipped, its entity declarations unused: &xxe; stays literal text.
  auto xxe = ParseXml("<!DOCTYPE a [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><a>&xxe;</a>");
  ASSERT_TRUE(xxe);
  EXPECT_EQ(xxe->text, "&xxe;");
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(ParseXml(deep));
}

TEST(Xml, EscapesText) { EXPECT_EQ(XmlEscape("\"a\"&<b>'"), "&quot;a&quot;&amp;&lt;b&gt;&apos;"); }

S3Error Service(int status, std::string code, std::string region = "") {
  S3Error e;
  e.kind = S3Error::Kind::kService;
  e.operation = "PutObject";
  e.status = status;
  e.code = std::move(code);
  e.message = "service message";
  e.region = std::move(region);
  return e;
}

TEST(ClassifyStorageError, TellsTheFailuresApart) {
  S3Config c{.endpoint = "http://127.0.0.1:9000", .region = "us-east-1", .bucket = "backups", .access_key_id = "AKIDEXAMPLE"};
  S3Error net;
  net.kind = S3Error::Kind::kNetwork;
  net.message = "Cannot reach 127.0.0.1:9000: Couldn't connect to server";
  auto f = ClassifyStorageError("write", net, c, "http://127.0.0.1:9000");
  EXPECT_EQ(f.layer, "network");
  EXPECT_TRUE(f.fatal);
  EXPECT_NE(f.fix.find("endpoint URL"), std::string::npos);

  f = ClassifyStorageError("write", Service(400, "AuthorizationHeaderMalformed", "eu-central-1"), c, "e");
  EXPECT_EQ(f.layer, "backup_storage");
  EXPECT_NE(f.message.find("wrong region"), std::string::npos);
  EXPECT_EQ(f.fix, "Set the region to 'eu-central-1'.");
  EXPECT_NE(ClassifyStorageError("write", Service(301, "PermanentRedirect"), c, "e").message.find("wrong region"),
            std::string::npos);

  f = ClassifyStorageError("write", Service(404, "NoSuchBucket"), c, "e");
  EXPECT_NE(f.message.find("the bucket 'backups' does not exist"), std::string::npos);
  f = ClassifyStorageError("write", Service(403, "SignatureDoesNotMatch"), c, "e");
  EXPECT_NE(f.message.find("secret access key does not match access key id 'AKIDEXAMPLE'"), std::string::npos);
  EXPECT_TRUE(f.fatal);
  f = ClassifyStorageError("write", Service(403, "InvalidAccessKeyId"), c, "e");
  EXPECT_NE(f.message.find("does not know access key id"), std::string::npos);
  f = ClassifyStorageError("delete", Service(403, "AccessDenied"), c, "e");
  EXPECT_EQ(f.layer, "backup_storage");
  EXPECT_FALSE(f.fatal) << "a denial of one action does not stop the other steps";
  EXPECT_NE(f.message.find("may not delete"), std::string::npos);
  EXPECT_NE(f.fix.find("s3:DeleteObject"), std::string::npos);
  EXPECT_NE(ClassifyStorageError("list", Service(403, "AccessDenied"), c, "e").fix.find("s3:ListBucket"), std::string::npos);
}

TEST(S3Client, EndpointAndAddressing) {
  EXPECT_EQ(S3Client({.endpoint = "", .region = "eu-west-1", .bucket = "b"}).EndpointUrl(),
            "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(S3Client({.endpoint = "https://minio.example.com:9000/", .region = "us-east-1"}).EndpointUrl(),
            "https://minio.example.com:9000");
}

TEST(S3Client, NoAnswerIsANetworkError) {
  SecretBytes secret = SecretBytes::FromString("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  S3Client s3({.endpoint = "http://127.0.0.1:1", .region = "us-east-1", .bucket = "b", .access_key_id = "AKID",
               .secret_access_key = &secret, .connect_timeout_ms = 2000, .timeout_ms = 3000});
  auto r = s3.PutObject("k", "body");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, S3Error::Kind::kNetwork);
  EXPECT_EQ(r.error().operation, "PutObject");
  EXPECT_EQ(DescribeS3Error(r.error()).find("wJalrXUtnFEMI"), std::string::npos);
}

TEST(S3Client, UploadReadsOnePartAtATimeAndStopsOnAReaderError) {
  SecretBytes secret = SecretBytes::FromString("secret");
  S3Client s3({.endpoint = "http://127.0.0.1:1", .region = "us-east-1", .bucket = "b", .access_key_id = "AKID",
               .secret_access_key = &secret, .connect_timeout_ms = 2000, .timeout_ms = 3000});
  size_t max_cap = 0, calls = 0;
  auto reader = [&](char*, size_t cap) -> Result<size_t> {
    max_cap = std::max(max_cap, cap);
    if (++calls == 3) return Err(ErrorCode::kUnavailable, "the dump stream broke");
    return std::min<size_t>(cap, 1 << 20);
  };
  auto r = s3.Upload("big", reader, {.part_size = 1});  // raised to the 5 MiB minimum
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, S3Error::Kind::kSource);
  EXPECT_EQ(r.error().message, "the dump stream broke");
  EXPECT_EQ(max_cap, kS3MinPartSize) << "the reader is asked for at most one part";
  // A stream that fits in one part is a single PutObject (here: no answer from the closed port).
  size_t left = 1000;
  auto small = s3.Upload("small", [&](char*, size_t cap) -> Result<size_t> {
    size_t n = std::min(cap, left);
    left -= n;
    return n;
  });
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().operation, "PutObject");
  EXPECT_EQ(small.error().kind, S3Error::Kind::kNetwork);
}

TEST(S3Client, RefusesKeysItCannotSignSafely) {
  SecretBytes secret = SecretBytes::FromString("secret");
  S3Client s3({.endpoint = "http://127.0.0.1:1", .region = "us-east-1", .bucket = "b", .access_key_id = "AKID",
               .secret_access_key = &secret});
  EXPECT_EQ(s3.PutObject("a?b", "x").error().kind, S3Error::Kind::kProtocol);
  EXPECT_EQ(s3.DeleteObject("").error().kind, S3Error::Kind::kProtocol);
}

}  // namespace
}  // namespace wharf::integrations
