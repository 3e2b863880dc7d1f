#include "api/json_writer.hpp"

#include <cassert>
#include <charconv>
#include <cmath>

namespace cloudopt::api {

void JsonWriter::BeforeValue() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ',';
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::Open(char bracket) {
    BeforeValue();
    out_ += bracket;
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::Close(char bracket) {
    assert(!first_.empty());
    first_.pop_back();
    out_ += bracket;
    return *this;
}

JsonWriter& JsonWriter::BeginObject() { return Open('{'); }
JsonWriter& JsonWriter::EndObject() { return Close('}'); }
JsonWriter& JsonWriter::BeginArray() { return Open('['); }
JsonWriter& JsonWriter::EndArray() { return Close(']'); }

JsonWriter& JsonWriter::Key(std::string_view key) {
    BeforeValue();
    Escape(key);
    out_ += ':';
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
    BeforeValue();
    Escape(value);
    return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t value) {
    BeforeValue();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, end);
    return *this;
}

JsonWriter& JsonWriter::Double(double value) {
    BeforeValue();
    if (!std::isfinite(value)) {
        out_ += "null";
        return *this;
    }
    // Shortest text that reads back as the same double; integral values keep a ".0" so clients see a float.
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    std::string_view text(buf, static_cast<std::size_t>(end - buf));
    out_ += text;
    if (text.find_first_of(".eE") == std::string_view::npos) out_ += ".0";
    return *this;
}

JsonWriter& JsonWriter::Null() {
    BeforeValue();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view text) {
    BeforeValue();
    out_ += text;
    return *this;
}

void JsonWriter::Escape(std::string_view s) {
    out_ += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
        // Plain ASCII (nearly every key and value) is copied a run at a time: per-character appends were a tenth
        // of the CPU time of GET /api/resources.
        std::size_t run = i;
        while (run < s.size()) {
            const auto c = static_cast<unsigned char>(s[run]);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
            ++run;
        }
        if (run > i) {
            out_.append(s.data() + i, run - i);
            i = run;
            if (i == s.size()) break;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default:
                if (c < 0x20) {
                    static const char* kHex = "0123456789abcdef";
                    out_ += "\\u00";
                    out_ += kHex[c >> 4];
                    out_ += kHex[c & 0xf];
                } else if (c < 0x80) {
                    out_ += static_cast<char>(c);
                } else {
                    // Pass valid UTF-8 through; replace invalid bytes with U+FFFD so the output stays valid JSON.
                    int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
                    bool valid = len > 0 && i + static_cast<std::size_t>(len) <= s.size();
                    for (int k = 1; valid && k < len; ++k)
                        valid = (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) >> 6) == 0x2;
                    if (valid) {
                        out_.append(s.substr(i, static_cast<std::size_t>(len)));
                        i += static_cast<std::size_t>(len - 1);
                    } else {
                        out_ += "\xef\xbf\xbd";
                    }
                }
        }
    }
    out_ += '"';
}

}  // namespace cloudopt::api
