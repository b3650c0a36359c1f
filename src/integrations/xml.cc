#include "integrations/xml.h"

#include <cstdint>

namespace wharf::integrations {

namespace {

std::string_view LocalName(std::string_view qname) {
  auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<XmlNode> Document() {
    WHARF_TRY(SkipMisc());
    if (!At("<")) return Bad("no root element");
    XmlNode root;
    WHARF_TRY(Element(root, 0));
    WHARF_TRY(SkipMisc());
    if (i_ != s_.size()) return Bad("content after the root element");
    return root;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;

  tl::unexpected<Error> Bad(std::string what) const {
    return FieldError("xml", "is not well-formed XML: " + what + " at byte " + std::to_string(i_));
  }
  bool At(std::string_view t) const { return s_.substr(i_, t.size()) == t; }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }
  Status SkipPast(std::string_view end) {
    auto p = s_.find(end, i_);
    if (p == std::string_view::npos) return Bad("unterminated '" + std::string(end) + "'");
    i_ = p + end.size();
    return Ok();
  }
  // Prolog, comments, processing instructions and a DOCTYPE (skipped, never interpreted).
  Status SkipMisc() {
    for (;;) {
      SkipSpace();
      if (At("<?")) {
        WHARF_TRY(SkipPast("?>"));
      } else if (At("<!--")) {
        WHARF_TRY(SkipPast("-->"));
      } else if (At("<!DOCTYPE")) {
        auto bracket = s_.find('[', i_), gt = s_.find('>', i_);
        if (bracket != std::string_view::npos && bracket < gt) WHARF_TRY(SkipPast("]"));  // the internal subset
        WHARF_TRY(SkipPast(">"));
      } else {
        return Ok();
      }
    }
  }
  Status Entity(std::string& out) {
    auto semi = s_.find(';', i_);
    if (semi == std::string_view::npos || semi - i_ > 12) return Bad("bad entity");
    std::string_view e = s_.substr(i_ + 1, semi - i_ - 1);
    if (e == "amp") out += '&';
    else if (e == "lt") out += '<';
    else if (e == "gt") out += '>';
    else if (e == "quot") out += '"';
    else if (e == "apos") out += '\'';
    else if (e.size() > 1 && e[0] == '#') {
      uint32_t cp = 0;
      bool hex = e[1] == 'x' || e[1] == 'X';
      std::string_view digits = e.substr(hex ? 2 : 1);
      if (digits.empty()) return Bad("bad character reference");
      for (char c : digits) {
        int d = (c >= '0' && c <= '9') ? c - '0'
                : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                : -1;
        if (d < 0) return Bad("bad character reference");
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
        if (cp > 0x10FFFF) return Bad("bad character reference");
      }
      AppendUtf8(out, cp);
    } else {
      out += "&" + std::string(e) + ";";  // an unknown (e.g. DTD-declared) entity stays literal, never expanded
    }
    i_ = semi + 1;
    return Ok();
  }
  Status Element(XmlNode& node, int depth) {
    if (depth > 64) return Bad("nesting deeper than 64 levels");
    ++i_;  // '<'
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '>' && s_[i_] != '/' && s_[i_] != ' ' && s_[i_] != '\t' && s_[i_] != '\r' &&
           s_[i_] != '\n')
      ++i_;
    std::string_view qname = s_.substr(start, i_ - start);
    if (qname.empty()) return Bad("empty element name");
    node.name = std::string(LocalName(qname));
    // Attributes: skipped, honouring quotes.
    for (;;) {
      if (i_ >= s_.size()) return Bad("unterminated start tag");
      char c = s_[i_];
      if (c == '"' || c == '\'') {
        auto q = s_.find(c, i_ + 1);
        if (q == std::string_view::npos) return Bad("unterminated attribute value");
        i_ = q + 1;
      } else if (c == '/' && At("/>")) {
        i_ += 2;
        return Ok();
      } else if (c == '>') {
        ++i_;
        break;
      } else {
        ++i_;
      }
    }
    for (;;) {
      if (i_ >= s_.size()) return Bad("element <" + node.name + "> is not closed");
      char c = s_[i_];
      if (c == '&') {
        WHARF_TRY(Entity(node.text));
      } else if (c != '<') {
        node.text += c;
        ++i_;
      } else if (At("</")) {
        i_ += 2;
        size_t ns = i_;
        auto gt = s_.find('>', i_);
        if (gt == std::string_view::npos) return Bad("unterminated end tag");
        std::string_view end = s_.substr(ns, gt - ns);
        while (!end.empty() && (end.back() == ' ' || end.back() == '\t' || end.back() == '\r' || end.back() == '\n'))
          end.remove_suffix(1);
        if (end != qname) return Bad("</" + std::string(end) + "> closes <" + std::string(qname) + ">");
        i_ = gt + 1;
        return Ok();
      } else if (At("<![CDATA[")) {
        i_ += 9;
        auto e = s_.find("]]>", i_);
        if (e == std::string_view::npos) return Bad("unterminated CDATA");
        node.text.append(s_.substr(i_, e - i_));
        i_ = e + 3;
      } else if (At("<!--")) {
        WHARF_TRY(SkipPast("-->"));
      } else if (At("<?")) {
        WHARF_TRY(SkipPast("?>"));
      } else {
        node.children.emplace_back();
        WHARF_TRY(Element(node.children.back(), depth + 1));
      }
    }
  }
};

}  // namespace

const XmlNode* XmlNode::Child(std::string_view n) const {
  for (const auto& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

std::vector<const XmlNode*> XmlNode::Children(std::string_view n) const {
  std::vector<const XmlNode*> out;
  for (const auto& c : children)
    if (c.name == n) out.push_back(&c);
  return out;
}

std::string XmlNode::ChildText(std::string_view n) const {
  const XmlNode* c = Child(n);
  return c ? c->text : std::string();
}

Result<XmlNode> ParseXml(std::string_view doc) { return Parser(doc).Document(); }

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace wharf::integrations
