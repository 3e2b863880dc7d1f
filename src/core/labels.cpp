#include "core/labels.hpp"

#include "core/text.hpp"

namespace cloudopt {

namespace {

constexpr std::size_t kMaxLabelName = 63;
constexpr std::size_t kMaxLabelPrefix = 253;

bool LabelAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Kubernetes' "qualified name" part and label value: alphanumeric at both ends, [-_.] allowed inside.
bool LabelNamePart(std::string_view s) {
    if (s.empty() || s.size() > kMaxLabelName) return false;
    if (!LabelAlnum(s.front()) || !LabelAlnum(s.back())) return false;
    for (char c : s)
        if (!LabelAlnum(c) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

// A lowercase DNS subdomain: dot-separated labels of [a-z0-9-], alphanumeric at both ends.
bool LabelDnsSubdomain(std::string_view s) {
    if (s.empty() || s.size() > kMaxLabelPrefix) return false;
    for (std::string_view part : Split(s, '.')) {
        if (part.empty() || part.size() > kMaxLabelName) return false;
        auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
        if (!lower_alnum(part.front()) || !lower_alnum(part.back())) return false;
        for (char c : part)
            if (!lower_alnum(c) && c != '-') return false;
    }
    return true;
}

Status BadLabel(std::string message) { return MakeError(ErrorCode::kUnprocessable, std::move(message)); }

}  // namespace

Status ValidateLabelKey(std::string_view key) {
    const std::size_t slash = key.find('/');
    const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
    if (slash != std::string_view::npos && !LabelDnsSubdomain(key.substr(0, slash)))
        return BadLabel("labels: key '" + std::string(key) +
                        "': its prefix before '/' must be a lowercase DNS subdomain (e.g. example.com/team)");
    if (!LabelNamePart(name))
        return BadLabel("labels: key '" + std::string(key) +
                        "' must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit "
                        "(Kubernetes' label rules), e.g. team or cost-center");
    return Status::Ok();
}

Status ValidateLabelValue(std::string_view key, std::string_view value) {
    if (value.empty()) return Status::Ok();
    if (!LabelNamePart(value))
        return BadLabel("labels: value of '" + std::string(key) +
                        "' must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or "
                        "digit (Kubernetes' label rules), e.g. payments");
    return Status::Ok();
}

Status ValidateLabels(const ResourceLabels& labels) {
    if (labels.size() > kMaxLabels) return BadLabel("labels: at most 64 labels per resource");
    for (const auto& [key, value] : labels) {
        if (Status s = ValidateLabelKey(key); !s) return s;
        if (Status s = ValidateLabelValue(key, value); !s) return s;
    }
    return Status::Ok();
}

std::string FormatLabels(const ResourceLabels& labels) {
    std::string out;
    for (const auto& [key, value] : labels) out += (out.empty() ? "" : ",") + key + "=" + value;
    return out;
}

Result<ResourceLabels> ParseLabels(std::string_view text) {
    ResourceLabels out;
    if (Trim(text).empty()) return out;
    for (std::string_view item : Split(text, ',')) {
        item = Trim(item);
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos)
            return MakeError(ErrorCode::kUnprocessable,
                             "labels: '" + std::string(item) + "' is not key=value (e.g. team=payments)");
        std::string key(Trim(item.substr(0, eq))), value(Trim(item.substr(eq + 1)));
        if (out.count(key)) return MakeError(ErrorCode::kUnprocessable, "labels: key '" + key + "' given twice");
        out.emplace(std::move(key), std::move(value));
    }
    if (Status s = ValidateLabels(out); !s) return s.error();
    return out;
}

Result<std::vector<LabelTerm>> ParseLabelSelector(std::string_view text) {
    std::vector<LabelTerm> out;
    for (std::string_view item : Split(text, ',')) {
        item = Trim(item);
        LabelTerm term;
        const std::size_t sep = item.find_first_of(":=");
        term.key = std::string(Trim(item.substr(0, sep)));
        if (sep == std::string_view::npos)
            term.any_value = true;
        else
            term.value = std::string(Trim(item.substr(sep + 1)));
        Status valid = ValidateLabelKey(term.key);
        if (valid && !term.any_value) valid = ValidateLabelValue(term.key, term.value);
        if (!valid)
            return MakeError(ErrorCode::kInvalidArgument, "label: '" + std::string(item) +
                                                              "' is not a selector like team:payments or team (" +
                                                              valid.error().message + ")");
        out.push_back(std::move(term));
    }
    return out;
}

bool MatchesLabels(const ResourceLabels& labels, const std::vector<LabelTerm>& selector) {
    for (const LabelTerm& term : selector) {
        auto it = labels.find(term.key);
        if (it == labels.end()) return false;
        if (!term.any_value && it->second != term.value) return false;
    }
    return true;
}

}  // namespace cloudopt
