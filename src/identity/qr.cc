#include "identity/qr.h"

#include <qrencode.h>

#include <cerrno>
#include <string>

namespace wharf::identity {

Result<QrMatrix> QrEncode(std::string_view text) {
  if (text.empty() || text.size() > 1024) {
    return Err(ErrorCode::kValidationFailed, "QR text must be 1 to 1024 bytes");
  }
  std::string data(text);  // QRcode_encodeData reads exactly `size` bytes; no NUL needed
  errno = 0;
  QRcode* qr = QRcode_encodeData(static_cast<int>(data.size()), reinterpret_cast<const unsigned char*>(data.data()),
                                 0, QR_ECLEVEL_M);
  if (!qr) {
    if (errno == ERANGE) return Err(ErrorCode::kValidationFailed, "text is too long for a QR code");
    return Internal("QRcode_encodeData failed: errno " + std::to_string(errno));
  }
  QrMatrix m;
  m.width = qr->width;
  m.dark.resize(static_cast<size_t>(qr->width) * qr->width);
  for (size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (qr->data[i] & 1) != 0;
  QRcode_free(qr);
  return m;
}

Result<std::string> QrSvg(std::string_view text) {
  WHARF_ASSIGN_OR_RETURN(QrMatrix m, QrEncode(text));
  const int size = m.width + 2 * kQrQuietZone;
  std::string path;
  for (int y = 0; y < m.width; ++y) {
    for (int x = 0; x < m.width;) {
      if (!m.at(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.width && m.at(x + run, y)) ++run;
      path += "M" + std::to_string(x + kQrQuietZone) + " " + std::to_string(y + kQrQuietZone) + "h" +
              std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  std::string s = std::to_string(size);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + s + " " + s +
         "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">"
         "<rect width=\"" + s + "\" height=\"" + s + "\" fill=\"#fff\"/>"
         "<path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

}  // namespace wharf::identity
