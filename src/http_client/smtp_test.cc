#include "http_client/smtp.h"

#include <gtest/gtest.h>

namespace wharf::http_client {
namespace {

TEST(SmtpTlsPolicy, SmtpsIsImplicitTls) {
  EXPECT_EQ(SmtpTlsPolicy("smtps://mail.example.com:465", false), SmtpTls::kImplicit);
  EXPECT_EQ(SmtpTlsPolicy("smtps://127.0.0.1:465", true), SmtpTls::kImplicit);
}

// Regression: opportunistic STARTTLS let a man in the middle strip TLS from a remote server.
TEST(SmtpTlsPolicy, RemoteHostRequiresStartTls) {
  EXPECT_EQ(SmtpTlsPolicy("smtp://mail.example.com:587", false), SmtpTls::kRequired);
  EXPECT_EQ(SmtpTlsPolicy("smtp://10.0.0.5:25", false), SmtpTls::kRequired);
  EXPECT_EQ(SmtpTlsPolicy("smtp://[2001:db8::1]:25", false), SmtpTls::kRequired);
  EXPECT_EQ(SmtpTlsPolicy("smtp://127.0.0.1.example.com:25", false), SmtpTls::kRequired);
  EXPECT_EQ(SmtpTlsPolicy("smtp://localhost.example.com:25", false), SmtpTls::kRequired);
  EXPECT_EQ(SmtpTlsPolicy("smtp://mail.example.com", false), SmtpTls::kRequired);
}

TEST(SmtpTlsPolicy, LoopbackOrExplicitFlagMayBePlain) {
  EXPECT_EQ(SmtpTlsPolicy("smtp://127.0.0.1:1025", false), SmtpTls::kOpportunistic);
  EXPECT_EQ(SmtpTlsPolicy("smtp://127.1.2.3:1025", false), SmtpTls::kOpportunistic);
  EXPECT_EQ(SmtpTlsPolicy("smtp://localhost:1025", false), SmtpTls::kOpportunistic);
  EXPECT_EQ(SmtpTlsPolicy("smtp://[::1]:1025", false), SmtpTls::kOpportunistic);
  EXPECT_EQ(SmtpTlsPolicy("smtp://mail.example.com:25", true), SmtpTls::kOpportunistic);
}

}  // namespace
}  // namespace wharf::http_client
