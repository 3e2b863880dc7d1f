#pragma once
// A streaming JSON writer for the hot responses (resource lists, metric points): it appends straight to the
// response body, where building an nlohmann DOM first cost more than the rest of the request. Commas are
// inserted automatically; keys and strings are escaped; non-finite numbers are written as null.
//
//   JsonWriter w;
//   w.BeginObject().Key("points").BeginArray();
//   for (...) w.BeginArray().Int(ts).Double(v).EndArray();
//   w.EndArray().EndObject();
//   std::string body = w.Take();

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cloudopt::api {

class JsonWriter {
public:
    // Most responses fit; reserving up front avoids regrowing (and copying) the body several times.
    explicit JsonWriter(std::size_t reserve_bytes = 8192) { out_.reserve(reserve_bytes); }

    JsonWriter& BeginObject();
    JsonWriter& EndObject();
    JsonWriter& BeginArray();
    JsonWriter& EndArray();
    JsonWriter& Key(std::string_view key);
    JsonWriter& String(std::string_view value);
    JsonWriter& Int(std::int64_t value);
    JsonWriter& Double(double value);
    JsonWriter& Null();
    // A value already serialized as JSON (e.g. from nlohmann), inserted as is.
    JsonWriter& Raw(std::string_view text);

    std::string Take() { return std::move(out_); }

private:
    void BeforeValue();
    JsonWriter& Open(char bracket);
    JsonWriter& Close(char bracket);
    void Escape(std::string_view s);

    std::string out_;
    std::vector<bool> first_;  // per open container: no value written yet
    bool after_key_ = false;
};

}  // namespace cloudopt::api
