// Routing without sockets: the request -> response function is plain.

#include "api/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace cloudopt::api {
namespace {

HttpRequest Req(std::string method, std::string path) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    return r;
}

TEST(Router, MatchesPlaceholdersAndTrailingSlash) {
    Router router;
    router.Add("GET", "/api/things/{id}", [](const HttpRequest& r) {
        HttpResponse resp;
        resp.body = r.path_params.at("id");
        return resp;
    });
    EXPECT_EQ(router.Handle(Req("GET", "/api/things/42")).response.body, "42");
    EXPECT_EQ(router.Handle(Req("GET", "/api/things/42/")).response.body, "42");
    EXPECT_EQ(router.Handle(Req("GET", "/api/things/42")).route, "/api/things/{id}");
    EXPECT_EQ(router.Handle(Req("GET", "/api/things")).response.status, 404);
    EXPECT_EQ(router.Handle(Req("GET", "/api/things/1/2")).response.status, 404);
    EXPECT_EQ(router.Handle(Req("GET", "relative")).response.status, 400);
}

TEST(Router, LiteralSegmentsBeatPlaceholders) {
    Router router;
    auto answer = [](std::string body) {
        return [body](const HttpRequest&) {
            HttpResponse r;
            r.body = body;
            return r;
        };
    };
    router.Add("GET", "/api/resources/{id}", answer("by id"));
    router.Add("GET", "/api/resources/recommendations", answer("recommendations"));
    EXPECT_EQ(router.Handle(Req("GET", "/api/resources/recommendations")).response.body, "recommendations");
    EXPECT_EQ(router.Handle(Req("GET", "/api/resources/7")).response.body, "by id");
}

TEST(Router, WrongMethodIs405WithAllow) {
    Router router;
    router.Add("GET", "/x", [](const HttpRequest&) { return HttpResponse{}; });
    router.Add("PUT", "/x", [](const HttpRequest&) { return HttpResponse{}; });
    auto d = router.Handle(Req("POST", "/x"));
    EXPECT_EQ(d.response.status, 405);
    ASSERT_EQ(d.response.headers.size(), 1u);
    EXPECT_EQ(d.response.headers[0].second, "GET, PUT, HEAD");  // HEAD runs the GET route
    auto head = router.Handle(Req("HEAD", "/x"));
    EXPECT_EQ(head.response.status, 200);
    EXPECT_EQ(head.route, "/x");
}

TEST(Router, AThrowingHandlerBecomesA500WithoutDetail) {
    Router router;
    router.Add("GET", "/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("secret detail"); });
    auto d = router.Handle(Req("GET", "/boom"));
    EXPECT_EQ(d.response.status, 500);
    EXPECT_EQ(d.response.body.find("secret"), std::string::npos);
}

TEST(ParseTarget, DecodesPathAndQuery) {
    std::string path;
    std::map<std::string, std::string> query;
    ASSERT_TRUE(ParseTarget("/a%20b?x=1&y=hello+world&z=%41&flag", path, query));
    EXPECT_EQ(path, "/a b");
    EXPECT_EQ(query["x"], "1");
    EXPECT_EQ(query["y"], "hello world");
    EXPECT_EQ(query["z"], "A");
    EXPECT_EQ(query.count("flag"), 1u);
    EXPECT_FALSE(ParseTarget("/a%2", path, query));
    EXPECT_FALSE(ParseTarget("/a?x=%zz", path, query));
}

}  // namespace
}  // namespace cloudopt::api
