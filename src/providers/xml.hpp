#pragma once
// Just enough XML reading for the AWS Query APIs' answers, on libxml2: parse a document, walk child elements by
// local name (namespaces ignored: AWS puts one default namespace on everything), read text. No network access,
// no entity expansion, no DTD loading.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

struct _xmlDoc;
struct _xmlNode;

namespace cloudopt::providers {

class XmlElement {
public:
    explicit XmlElement(_xmlNode* node = nullptr) : node_(node) {}
    explicit operator bool() const { return node_ != nullptr; }
    std::string Name() const;
    // The first child element with this local name (an empty element when there is none).
    XmlElement Child(std::string_view name) const;
    std::vector<XmlElement> Children(std::string_view name) const;
    // Follows a path of child names: Path({"DescribeAutoScalingGroupsResult", "AutoScalingGroups"}).
    XmlElement Path(std::initializer_list<std::string_view> names) const;
    // The element's text content, trimmed; "" for an empty element.
    std::string Text() const;
    // The text of a child, "" when there is no such child.
    std::string ChildText(std::string_view name) const { return Child(name).Text(); }

private:
    _xmlNode* node_;
};

class XmlDocument {
public:
    // kInvalidArgument naming the parser's complaint when `text` is not well-formed XML.
    static Result<XmlDocument> Parse(std::string_view text);
    XmlElement Root() const;

private:
    struct Free {
        void operator()(_xmlDoc* doc) const;
    };
    std::shared_ptr<_xmlDoc> doc_;
};

}  // namespace cloudopt::providers
