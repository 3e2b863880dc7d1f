#include "api/json_writer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace cloudopt::api {
namespace {

TEST(JsonWriter, StringsReadBackExactly) {
    // Random strings of plain ASCII, quotes, backslashes, control characters and valid UTF-8, in runs and alone.
    const std::vector<std::string> pieces = {"a", "web-frontend", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\r",
                                             "é", "€", "𝄞", " ", "/", "\x7f", "plain text with spaces"};
    std::mt19937 rng(3);
    for (int round = 0; round < 2000; ++round) {
        std::string s;
        const int n = static_cast<int>(rng() % 12);
        for (int i = 0; i < n; ++i) s += pieces[rng() % pieces.size()];
        JsonWriter w;
        w.BeginObject().Key(s).String(s).EndObject();
        const std::string text = w.Take();
        const nlohmann::json parsed = nlohmann::json::parse(text);
        ASSERT_EQ(parsed.begin().key(), s) << text;
        ASSERT_EQ(parsed.begin().value().get<std::string>(), s) << text;
    }
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacters) {
    JsonWriter w;
    w.String(std::string("ok\xff\xc3") + "end");
    const std::string text = w.Take();
    EXPECT_EQ(nlohmann::json::parse(text).get<std::string>(), "ok\xef\xbf\xbd\xef\xbf\xbd" "end");
}

}  // namespace
}  // namespace cloudopt::api
