// Stream redaction: any split of the text into chunks redacts exactly as the whole text does in
// one piece, and no secret survives in the output.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "secrets/redact.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf;
  fuzz::Fields f(data, size);
  std::vector<std::string> secrets;
  for (size_t i = 1; i < 4; ++i)
    if (!f.Field(i).empty()) secrets.emplace_back(f.Field(i));
  std::string_view text = f.Field(0);
  std::string_view cuts = f.Field(4);
  secrets::StreamRedactor whole(secrets);
  std::string one = whole.Push(text) + whole.Flush();
  secrets::StreamRedactor parts(secrets);
  std::string many;
  size_t pos = 0;
  for (unsigned char c : cuts) {
    size_t n = std::min<size_t>(c % 16, text.size() - pos);
    many += parts.Push(text.substr(pos, n));
    pos += n;
  }
  many += parts.Push(text.substr(pos));
  many += parts.Flush();
  WHARF_FUZZ_CHECK(one == many);
  for (const auto& s : secrets)
    // (a secret made of the marker's own letters could be spelt by the marker and its neighbours)
    if (s.size() >= 4 && s.find_first_of("[redact]") == std::string::npos)
      WHARF_FUZZ_CHECK(one.find(s) == std::string::npos);
  return 0;
}
