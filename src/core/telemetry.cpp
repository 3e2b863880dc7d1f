#include "core/telemetry.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <sstream>

namespace cloudopt {

namespace {

std::string EscapeLabel(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string RenderLabels(const Labels& labels) {
    if (labels.empty()) return "";
    std::string out = "{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) out += ',';
        out += labels[i].first + "=\"" + EscapeLabel(labels[i].second) + "\"";
    }
    return out + "}";
}

// Adds one label to an already rendered label set ("" or "{a=\"b\"}").
std::string WithLabel(const std::string& rendered, const std::string& extra) {
    if (rendered.empty()) return "{" + extra + "}";
    return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

std::string FormatNumber(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v)) return "NaN";
    // Shortest text that reads back as the same double: 0.1 stays "0.1".
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    assert(std::is_sorted(bounds_.begin(), bounds_.end()));
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
    const auto idx = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    buckets_[idx].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::CumulativeCounts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        out[i] = running;
    }
    return out;
}

std::vector<double> MetricsRegistry::LatencyBuckets() {
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(const std::string& name, const std::string& type,
                                                    const std::string& help) {
    Family& family = families_[name];
    if (family.type.empty()) {
        family.type = type;
        family.help = help;
    }
    assert(family.type == type);
    return family;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help, const Labels& labels) {
    std::lock_guard lock(mutex_);
    auto& slot = FamilyFor(name, "counter", help).counters[RenderLabels(labels)];
    if (!slot) slot = std::make_unique<Counter>();
    return *slot;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
    std::lock_guard lock(mutex_);
    auto& slot = FamilyFor(name, "gauge", help).gauges[RenderLabels(labels)];
    if (!slot) slot = std::make_unique<Gauge>();
    return *slot;
}

bool MetricsRegistry::RemoveGauge(const std::string& name, const Labels& labels) {
    std::lock_guard lock(mutex_);
    auto family = families_.find(name);
    if (family == families_.end()) return false;
    auto series = family->second.gauges.find(RenderLabels(labels));
    if (series == family->second.gauges.end()) return false;
    retired_gauges_.push_back(std::move(series->second));
    family->second.gauges.erase(series);
    return true;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help, const Labels& labels,
                                         const std::vector<double>& bounds) {
    std::lock_guard lock(mutex_);
    auto& slot = FamilyFor(name, "histogram", help).histograms[RenderLabels(labels)];
    if (!slot) slot = std::make_unique<Histogram>(bounds);
    return *slot;
}

std::string MetricsRegistry::RenderPrometheus() const {
    std::lock_guard lock(mutex_);
    std::ostringstream out;
    for (const auto& [name, family] : families_) {
        out << "# HELP " << name << ' ' << family.help << '\n' << "# TYPE " << name << ' ' << family.type << '\n';
        for (const auto& [labels, c] : family.counters)
            out << name << labels << ' ' << FormatNumber(c->Value()) << '\n';
        for (const auto& [labels, g] : family.gauges) out << name << labels << ' ' << FormatNumber(g->Value()) << '\n';
        for (const auto& [labels, h] : family.histograms) {
            const std::vector<std::uint64_t> counts = h->CumulativeCounts();
            for (std::size_t i = 0; i < h->bounds().size(); ++i) {
                out << name << "_bucket" << WithLabel(labels, "le=\"" + FormatNumber(h->bounds()[i]) + "\"") << ' '
                    << counts[i] << '\n';
            }
            out << name << "_bucket" << WithLabel(labels, "le=\"+Inf\"") << ' ' << counts.back() << '\n';
            out << name << "_sum" << labels << ' ' << FormatNumber(h->Sum()) << '\n';
            out << name << "_count" << labels << ' ' << h->Count() << '\n';
        }
    }
    return out.str();
}

}  // namespace cloudopt
