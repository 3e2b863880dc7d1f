#include "core/budget.hpp"

#include <cmath>

#include "core/labels.hpp"

namespace cloudopt {

const char* BudgetScopeName(BudgetScope scope) {
    switch (scope) {
        case BudgetScope::kTotal:
            return "total";
        case BudgetScope::kProvider:
            return "provider";
        case BudgetScope::kResource:
            return "resource";
        case BudgetScope::kLabel:
            return "label";
    }
    return "total";
}

std::optional<BudgetScope> ParseBudgetScope(std::string_view text) {
    if (text == "total") return BudgetScope::kTotal;
    if (text == "provider") return BudgetScope::kProvider;
    if (text == "resource") return BudgetScope::kResource;
    if (text == "label") return BudgetScope::kLabel;
    return std::nullopt;
}

const char* BudgetCapModeName(BudgetCapMode mode) {
    switch (mode) {
        case BudgetCapMode::kOff:
            return "off";
        case BudgetCapMode::kSoft:
            return "soft";
        case BudgetCapMode::kHard:
            return "hard";
    }
    return "off";
}

std::optional<BudgetCapMode> ParseBudgetCapMode(std::string_view text) {
    if (text == "off") return BudgetCapMode::kOff;
    if (text == "soft") return BudgetCapMode::kSoft;
    if (text == "hard") return BudgetCapMode::kHard;
    return std::nullopt;
}

const char* BudgetStateName(BudgetState state) {
    switch (state) {
        case BudgetState::kOk:
            return "ok";
        case BudgetState::kAtRisk:
            return "at_risk";
        case BudgetState::kOver:
            return "over";
        case BudgetState::kExceeded:
            return "exceeded";
        case BudgetState::kUnknown:
            return "unknown";
    }
    return "unknown";
}

std::optional<BudgetState> ParseBudgetState(std::string_view text) {
    for (BudgetState st :
         {BudgetState::kOk, BudgetState::kAtRisk, BudgetState::kOver, BudgetState::kExceeded, BudgetState::kUnknown})
        if (text == BudgetStateName(st)) return st;
    return std::nullopt;
}

int BudgetSeverity(BudgetState state) {
    switch (state) {
        case BudgetState::kAtRisk:
            return 1;
        case BudgetState::kOver:
            return 2;
        case BudgetState::kExceeded:
            return 3;
        default:
            return 0;
    }
}

namespace {

Status BudgetInvalid(std::string message) { return MakeError(ErrorCode::kUnprocessable, std::move(message)); }

}  // namespace

Status ValidateBudget(const Budget& b) {
    constexpr std::size_t kMaxBudgetName = 128;
    if (b.name.empty() || b.name.size() > kMaxBudgetName)
        return BudgetInvalid("name: must be 1-128 characters, e.g. \"payments-monthly\"");
    for (unsigned char c : b.name)
        if (c < 0x20 || c == 0x7f) return BudgetInvalid("name: must be printable characters");
    if (!(std::isfinite(b.monthly_usd) && b.monthly_usd > 0.0 && b.monthly_usd < 1e12))
        return BudgetInvalid("monthly_usd: must be a positive amount of US dollars per month");
    switch (b.scope) {
        case BudgetScope::kTotal:
            if (!b.target.empty()) return BudgetInvalid("target: must be empty for scope total (every resource)");
            break;
        case BudgetScope::kProvider:
        case BudgetScope::kResource:
            if (b.target.empty() || b.target.size() > 512)
                return BudgetInvalid(std::string("target: must name the ") + (b.scope == BudgetScope::kProvider
                                                                                  ? "provider, e.g. \"aws\""
                                                                                  : "resource, e.g. \"web-frontend\""));
            break;
        case BudgetScope::kLabel: {
            auto selector = ParseLabelSelector(b.target);
            if (!selector || selector->size() != 1 || (*selector)[0].any_value)
                return BudgetInvalid("target: must be one label as key:value, e.g. \"team:payments\"");
            break;
        }
    }
    return Status::Ok();
}

bool BudgetCovers(const Budget& b, const Resource& r) {
    switch (b.scope) {
        case BudgetScope::kTotal:
            return true;
        case BudgetScope::kProvider:
            return r.provider == b.target;
        case BudgetScope::kResource:
            return r.name == b.target;
        case BudgetScope::kLabel: {
            auto selector = ParseLabelSelector(b.target);
            return selector && MatchesLabels(r.labels, *selector);
        }
    }
    return false;
}

BudgetState ClassifyBudget(double monthly_usd, const BudgetProjection& p) {
    if (p.actual_to_date > monthly_usd) return BudgetState::kExceeded;
    if (!p.p50 || !p.p90) return BudgetState::kUnknown;
    if (*p.p50 > monthly_usd) return BudgetState::kOver;
    if (*p.p90 > monthly_usd) return BudgetState::kAtRisk;
    return BudgetState::kOk;
}

BudgetCapLimit TighterCap(const BudgetCapLimit& a, const BudgetCapLimit& b) {
    if (a.max_instances != b.max_instances) return a.max_instances < b.max_instances ? a : b;
    return a.hard ? a : b;  // at the same count, a hard cap says more about what it risks
}

void AddCap(BudgetCaps& caps, const BudgetCapLimit& cap) {
    std::optional<BudgetCapLimit>& slot = cap.hard ? caps.hard : caps.soft;
    slot = slot ? TighterCap(*slot, cap) : cap;
}

void BudgetCapBoard::Set(std::map<ResourceId, BudgetCaps> caps) {
    std::lock_guard lock(mutex_);
    caps_ = std::move(caps);
}

std::optional<BudgetCaps> BudgetCapBoard::For(ResourceId id) const {
    std::lock_guard lock(mutex_);
    auto it = caps_.find(id);
    if (it == caps_.end()) return std::nullopt;
    return it->second;
}

}  // namespace cloudopt
