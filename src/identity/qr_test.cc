#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "identity/qr.h"
#include "identity/totp.h"

namespace wharf::identity {
namespace {

namespace fs = std::filesystem;

// Runs a shell command and returns its stdout; the exit status goes to *status.
std::string Run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

// Rasterises `svg` with librsvg's rsvg-convert and decodes it with zbar's zbarimg, the same
// path a phone camera takes: a missing tool fails the test (make deps installs both).
std::string ScanSvg(const std::string& svg, const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("wharf-qr-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path svg_path = dir / (name + ".svg"), png_path = dir / (name + ".png");
  std::ofstream(svg_path) << svg;
  int status = 0;
  Run("rsvg-convert --width 400 --height 400 -o " + png_path.string() + " " + svg_path.string() + " 2>&1", &status);
  EXPECT_EQ(status, 0) << "rsvg-convert failed (apt-get install librsvg2-bin)";
  // zbarimg's stderr carries D-Bus noise on machines without a system bus; only stdout is the text.
  fs::path err_path = dir / "zbarimg.err";
  std::string text = Run("zbarimg --quiet --raw " + png_path.string() + " 2>" + err_path.string(), &status);
  std::string err((std::istreambuf_iterator<char>(std::ifstream(err_path).rdbuf())), std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << "zbarimg failed (apt-get install zbar-tools): " << err;
  fs::remove_all(dir);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(QrTest, TheSvgOfAnOtpauthUriScansBackToTheUri) {
  std::string uri = *TotpUri("Wharf", "ada@example.com", "12345678901234567890");
  auto svg = QrSvg(uri);
  ASSERT_TRUE(svg) << svg.error().message;
  EXPECT_EQ(ScanSvg(*svg, "otpauth"), uri);
}

TEST(QrTest, OnePathCrispEdgesAndAFourModuleQuietZone) {
  auto m = QrEncode("otpauth://totp/Wharf:a?secret=GEZDGNBV");
  ASSERT_TRUE(m);
  auto svg = QrSvg("otpauth://totp/Wharf:a?secret=GEZDGNBV");
  ASSERT_TRUE(svg);
  std::string size = std::to_string(m->width + 8);
  EXPECT_NE(svg->find("viewBox=\"0 0 " + size + " " + size + "\""), std::string::npos);
  EXPECT_NE(svg->find("shape-rendering=\"crispEdges\""), std::string::npos);
  size_t first = svg->find("<path"), second = svg->find("<path", first + 1);
  EXPECT_NE(first, std::string::npos);
  EXPECT_EQ(second, std::string::npos);
  // The top-left finder pattern starts at module (4, 4), inside the quiet zone.
  EXPECT_NE(svg->find("d=\"M4 4h7v1h-7z"), std::string::npos) << svg->substr(0, 400);
}

TEST(QrTest, EmptyAndOversizedTextAreRefused) {
  EXPECT_EQ(QrSvg("").error().code, ErrorCode::kValidationFailed);
  EXPECT_EQ(QrSvg(std::string(5000, 'a')).error().code, ErrorCode::kValidationFailed);
}

}  // namespace
}  // namespace wharf::identity
