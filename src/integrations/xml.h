// A minimal XML reader for the documents S3-compatible services answer with (Error,
// ListBucketResult, InitiateMultipartUploadResult, CompleteMultipartUploadResult): elements,
// text, entities (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;; any other stays literal) and CDATA. Attributes, namespaces,
// comments, processing instructions and DOCTYPEs are read and ignored. No DTD, no external
// entities: nothing in a document makes the reader fetch or expand anything.
//
//   WHARF_ASSIGN_OR_RETURN(integrations::XmlNode doc, integrations::ParseXml(body));
//   if (doc.name == "Error") Use(doc.ChildText("Code"));
//   for (const XmlNode* c : doc.Children("Contents")) Use(c->ChildText("Key"));
//
// Names are compared without their namespace prefix ("s3:Key" matches "Key"). Plain values;
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace wharf::integrations {

struct XmlNode {
  std::string name;  // local name, prefix removed
  std::string text;  // the concatenated character data directly inside this element
  std::vector<XmlNode> children;

  const XmlNode* Child(std::string_view name) const;              // first child so named, or null
  std::vector<const XmlNode*> Children(std::string_view name) const;
  std::string ChildText(std::string_view name) const;             // "" when absent
};

// The root element of `doc`. Fails (kValidationFailed, field "xml") on malformed input or
// nesting deeper than 64 levels.
Result<XmlNode> ParseXml(std::string_view doc);

// Escapes &, <, >, " and ' for element text.
std::string XmlEscape(std::string_view s);

}  // namespace wharf::integrations
