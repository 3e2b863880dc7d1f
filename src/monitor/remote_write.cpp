#include "monitor/remote_write.hpp"

#include <snappy.h>

#include <cmath>
#include <cstring>

#include "remote_write.pb.h"

namespace cloudopt::monitor {

namespace {

bool ValidLabelName(const std::string& s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

bool ValidMetricName(const std::string& s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
    return true;
}

Error Bad(const std::string& what) { return MakeError(ErrorCode::kInvalidArgument, "remote write: " + what); }

}  // namespace

Result<std::vector<RemoteWriteSeries>> DecodeRemoteWrite(std::string_view body, const RemoteWriteLimits& limits) {
    std::size_t length = 0;
    if (!snappy::GetUncompressedLength(body.data(), body.size(), &length))
        return Bad("the body is not Snappy block-compressed (Content-Encoding: snappy, block format, not framed)");
    if (length > limits.max_uncompressed_bytes)
        return Bad("the body uncompresses to " + std::to_string(length) + " bytes, more than the limit of " +
                   std::to_string(limits.max_uncompressed_bytes) + "; lower the sender's max_samples_per_send");
    std::string raw;
    if (!snappy::Uncompress(body.data(), body.size(), &raw)) return Bad("the Snappy data is corrupt");
    prompb::WriteRequest request;
    if (!request.ParseFromString(raw)) return Bad("the body is not a protobuf WriteRequest");

    std::vector<RemoteWriteSeries> out;
    out.reserve(static_cast<std::size_t>(request.timeseries_size()));
    std::size_t samples = 0;
    for (const prompb::TimeSeries& ts : request.timeseries()) {
        RemoteWriteSeries series;
        const std::string* previous = nullptr;
        for (const prompb::Label& label : ts.labels()) {
            if (!ValidLabelName(label.name())) return Bad("label name '" + label.name() + "' is not [a-zA-Z_][a-zA-Z0-9_]*");
            if (label.value().empty()) return Bad("label '" + label.name() + "' has an empty value");
            if (previous && *previous >= label.name())
                return Bad("labels must be sorted by name without duplicates ('" + *previous + "' then '" + label.name() + "')");
            previous = &label.name();
            series.labels[label.name()] = label.value();
        }
        auto name = series.labels.find("__name__");
        if (name == series.labels.end()) return Bad("a series has no __name__ label");
        if (!ValidMetricName(name->second)) return Bad("metric name '" + name->second + "' is not [a-zA-Z_:][a-zA-Z0-9_:]*");
        std::int64_t last_ms = INT64_MIN;
        for (const prompb::Sample& s : ts.samples()) {
            if (s.timestamp() < last_ms) return Bad("samples of " + name->second + " are out of time order");
            last_ms = s.timestamp();
            if (!std::isfinite(s.value())) continue;  // stale markers and NaN: no value to keep
            if (s.timestamp() < 0) return Bad("a sample of " + name->second + " has a negative timestamp");
            series.samples.push_back({s.timestamp() / 1000, s.value()});
        }
        samples += series.samples.size();
        if (samples > limits.max_samples)
            return Bad("more than " + std::to_string(limits.max_samples) + " samples in one request");
        out.push_back(std::move(series));
    }
    return out;
}

std::string EncodeRemoteWrite(const std::vector<RemoteWriteSeries>& series, const std::vector<std::int64_t>& timestamps_ms) {
    prompb::WriteRequest request;
    std::size_t k = 0;
    for (const RemoteWriteSeries& s : series) {
        prompb::TimeSeries* ts = request.add_timeseries();
        for (const auto& [name, value] : s.labels) {
            prompb::Label* l = ts->add_labels();
            l->set_name(name);
            l->set_value(value);
        }
        for (const Sample& sample : s.samples) {
            prompb::Sample* p = ts->add_samples();
            p->set_value(sample.value);
            p->set_timestamp(k < timestamps_ms.size() ? timestamps_ms[k] : sample.ts * 1000);
            ++k;
        }
    }
    std::string raw, compressed;
    request.SerializeToString(&raw);
    snappy::Compress(raw.data(), raw.size(), &compressed);
    return compressed;
}

}  // namespace cloudopt::monitor
