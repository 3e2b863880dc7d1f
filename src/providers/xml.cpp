#include "providers/xml.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cctype>

namespace cloudopt::providers {

namespace {

bool Named(const xmlNode* node, std::string_view name) {
    return node->type == XML_ELEMENT_NODE && node->name != nullptr &&
           std::string_view(reinterpret_cast<const char*>(node->name)) == name;
}

}  // namespace

std::string XmlElement::Name() const { return node_ ? reinterpret_cast<const char*>(node_->name) : ""; }

XmlElement XmlElement::Child(std::string_view name) const {
    if (!node_) return XmlElement();
    for (xmlNode* c = node_->children; c != nullptr; c = c->next)
        if (Named(c, name)) return XmlElement(c);
    return XmlElement();
}

std::vector<XmlElement> XmlElement::Children(std::string_view name) const {
    std::vector<XmlElement> out;
    if (!node_) return out;
    for (xmlNode* c = node_->children; c != nullptr; c = c->next)
        if (Named(c, name)) out.emplace_back(c);
    return out;
}

XmlElement XmlElement::Path(std::initializer_list<std::string_view> names) const {
    XmlElement e = *this;
    for (std::string_view n : names) e = e.Child(n);
    return e;
}

std::string XmlElement::Text() const {
    if (!node_) return "";
    xmlChar* content = xmlNodeGetContent(node_);
    if (content == nullptr) return "";
    std::string s(reinterpret_cast<const char*>(content));
    xmlFree(content);
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

void XmlDocument::Free::operator()(_xmlDoc* doc) const { xmlFreeDoc(doc); }

Result<XmlDocument> XmlDocument::Parse(std::string_view text) {
    // XML_PARSE_NONET: never fetch anything; no XML_PARSE_NOENT/DTDLOAD, so entities stay unexpanded.
    xmlDoc* doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "response.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
    if (doc == nullptr || xmlDocGetRootElement(doc) == nullptr) {
        if (doc) xmlFreeDoc(doc);
        const xmlError* error = xmlGetLastError();
        std::string why = error && error->message ? error->message : "not XML";
        while (!why.empty() && std::isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
        return MakeError(ErrorCode::kInvalidArgument, "the answer is not well-formed XML: " + why);
    }
    XmlDocument d;
    d.doc_ = std::shared_ptr<_xmlDoc>(doc, Free());
    return d;
}

XmlElement XmlDocument::Root() const { return XmlElement(doc_ ? xmlDocGetRootElement(doc_.get()) : nullptr); }

}  // namespace cloudopt::providers
