#include "core/labels.hpp"

#include <gtest/gtest.h>

#include "core/budget.hpp"
#include "core/resource.hpp"

namespace cloudopt {
namespace {

TEST(Labels, AcceptsKubernetesStyleKeysAndValues) {
    EXPECT_TRUE(ValidateLabels({{"team", "payments"}, {"env", "prod"}, {"cost-center", "4711"}}).ok());
    EXPECT_TRUE(ValidateLabels({{"example.com/team", "a.b_c-d"}, {"empty", ""}}).ok());
}

TEST(Labels, RefusesWhatKubernetesRefusesNamingTheKey) {
    for (const ResourceLabels& bad : std::vector<ResourceLabels>{{{"", "x"}},
                                                                 {{"-team", "x"}},
                                                                 {{"team", "-x"}},
                                                                 {{"te am", "x"}},
                                                                 {{"team", "a,b"}},
                                                                 {{"team", "a=b"}},
                                                                 {{"team", "a:b"}},
                                                                 {{"Example.com/team", "x"}},
                                                                 {{std::string(64, 'a'), "x"}},
                                                                 {{"team", std::string(64, 'a')}}}) {
        Status s = ValidateLabels(bad);
        ASSERT_FALSE(s.ok()) << bad.begin()->first << "=" << bad.begin()->second;
        EXPECT_EQ(s.error().code, ErrorCode::kUnprocessable);
        EXPECT_NE(s.error().message.find("labels:"), std::string::npos) << s.error().message;
    }
    ResourceLabels many;
    for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
    EXPECT_FALSE(ValidateLabels(many).ok());
}

TEST(Labels, ColumnFormRoundTrips) {
    const ResourceLabels labels = {{"team", "payments"}, {"env", "prod"}, {"empty", ""}};
    EXPECT_EQ(FormatLabels(labels), "empty=,env=prod,team=payments");
    auto back = ParseLabels(FormatLabels(labels));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, labels);
    EXPECT_TRUE(ParseLabels("")->empty());
    EXPECT_FALSE(ParseLabels("team").ok());
    EXPECT_FALSE(ParseLabels("team=a,team=b").ok());
}

TEST(Labels, SelectorsMatchAllTheirTerms) {
    auto sel = ParseLabelSelector("team:payments,env=prod");
    ASSERT_TRUE(sel.ok());
    EXPECT_TRUE(MatchesLabels({{"team", "payments"}, {"env", "prod"}, {"x", "y"}}, *sel));
    EXPECT_FALSE(MatchesLabels({{"team", "payments"}}, *sel));
    EXPECT_FALSE(MatchesLabels({{"team", "search"}, {"env", "prod"}}, *sel));
    auto has = ParseLabelSelector("team");
    ASSERT_TRUE(has.ok());
    EXPECT_TRUE(MatchesLabels({{"team", ""}}, *has));
    EXPECT_FALSE(MatchesLabels({{"env", "prod"}}, *has));
    auto bad = ParseLabelSelector("team:pay ments");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(Labels, AResourceWithBadLabelsIsInvalid) {
    Resource r;
    r.name = "web";
    r.provider = "aws";
    r.provider_ref = "asg";
    r.instance_type = "m5.large";
    r.labels = {{"team", "payments"}};
    EXPECT_TRUE(ValidateResource(r).ok());
    r.labels = {{"team", "pay/ments"}};
    EXPECT_FALSE(ValidateResource(r).ok());
}

TEST(Budgets, StateFollowsTheProjection) {
    BudgetProjection p;
    p.actual_to_date = 100;
    EXPECT_EQ(ClassifyBudget(1000, p), BudgetState::kUnknown);
    p.p10 = 500, p.p50 = 700, p.p90 = 900;
    EXPECT_EQ(ClassifyBudget(1000, p), BudgetState::kOk);
    EXPECT_EQ(ClassifyBudget(800, p), BudgetState::kAtRisk);
    EXPECT_EQ(ClassifyBudget(600, p), BudgetState::kOver);
    EXPECT_EQ(ClassifyBudget(90, p), BudgetState::kExceeded);
    EXPECT_LT(BudgetSeverity(BudgetState::kAtRisk), BudgetSeverity(BudgetState::kOver));
}

TEST(Budgets, ValidationNamesTheField) {
    Budget b;
    b.name = "payments";
    b.monthly_usd = 1000;
    EXPECT_TRUE(ValidateBudget(b).ok());
    b.target = "aws";
    EXPECT_NE(ValidateBudget(b).error().message.find("target"), std::string::npos);
    b.scope = BudgetScope::kLabel;
    b.target = "team";
    EXPECT_NE(ValidateBudget(b).error().message.find("team:payments"), std::string::npos);
    b.target = "team:payments";
    EXPECT_TRUE(ValidateBudget(b).ok());
    b.monthly_usd = -1;
    EXPECT_NE(ValidateBudget(b).error().message.find("monthly_usd"), std::string::npos);
}

TEST(Budgets, CoverByScope) {
    Resource r;
    r.name = "web";
    r.provider = "aws";
    r.labels = {{"team", "payments"}};
    Budget b;
    EXPECT_TRUE(BudgetCovers(b, r));
    b.scope = BudgetScope::kProvider, b.target = "gcp";
    EXPECT_FALSE(BudgetCovers(b, r));
    b.scope = BudgetScope::kResource, b.target = "web";
    EXPECT_TRUE(BudgetCovers(b, r));
    b.scope = BudgetScope::kLabel, b.target = "team:payments";
    EXPECT_TRUE(BudgetCovers(b, r));
    b.target = "team:search";
    EXPECT_FALSE(BudgetCovers(b, r));
}

TEST(Budgets, TheTighterCapHolds) {
    BudgetCapLimit a{"a", 100, 1.0, 5, false}, b{"b", 100, 2.0, 3, false};
    EXPECT_EQ(TighterCap(a, b).budget, "b");
    // Each mode keeps its own tightest: a soft cap never hides a hard one.
    BudgetCaps caps;
    AddCap(caps, a);
    AddCap(caps, b);
    AddCap(caps, BudgetCapLimit{"h", 100, 4.0, 9, true});
    ASSERT_TRUE(caps.soft && caps.hard);
    EXPECT_EQ(caps.soft->budget, "b");
    EXPECT_EQ(caps.hard->max_instances, 9);
    BudgetCapBoard board;
    board.Set({{7, caps}});
    EXPECT_EQ(board.For(7)->soft->max_instances, 3);
    EXPECT_FALSE(board.For(8).has_value());
}

}  // namespace
}  // namespace cloudopt

// The bundled catalog's 1-year commitment rates (issue 32 item 4): below on-demand, each with its offer and source.
#include <fstream>
#include <sstream>

#include "core/catalog.hpp"

namespace cloudopt {
namespace {

TEST(CatalogCommitments, EveryPublicCloudTypeHasAOneYearRateBelowOnDemand) {
    std::ifstream in(std::string(CLOUDOPT_REPO_DATA) + "/catalog/instances.csv");
    ASSERT_TRUE(in);
    std::stringstream text;
    text << in.rdbuf();
    auto catalog = ParseCatalogCsv(text.str());
    ASSERT_TRUE(catalog.ok()) << catalog.error().message;
    int listed = 0;
    for (const InstanceType& t : catalog->types()) {
        if (t.provider != "aws" && t.provider != "azure" && t.provider != "gcp") continue;
        EXPECT_GT(t.commit_price_per_hour, 0.0) << t.name;
        EXPECT_LT(t.commit_price_per_hour, t.price_per_hour) << t.name;
        EXPECT_NE(t.commit_offer.find("1y"), std::string::npos) << t.name << ": " << t.commit_offer;
        ++listed;
    }
    EXPECT_GE(listed, 30);
    EXPECT_FALSE(ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour,commit_1y_price_per_hour\n"
                                 "aws,x,1,1,0.1,0.2\n")
                     .ok());
}

}  // namespace
}  // namespace cloudopt
