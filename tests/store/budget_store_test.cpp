// Resource labels and monthly budgets (issue 32 items 3 and 5) on every store backend: SQLite and PostgreSQL (a
// server this test process starts; skipped, with the reason, where PostgreSQL is not installed).

#include <gtest/gtest.h>

#include "store/postgres/postgres_store.hpp"
#include "store/store.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

struct BudgetBackend {
    const char* name;
    Result<std::unique_ptr<Store>> (*open)(const std::string& dir, const Clock& clock);
    std::string (*unavailable)() = [] { return std::string(); };
};

void PrintTo(const BudgetBackend& backend, std::ostream* os) { *os << backend.name; }

const BudgetBackend kBudgetBackends[] = {
    {"sqlite", [](const std::string& dir, const Clock& clock) { return OpenSqliteStore(dir + "/t.db", clock); }},
    {"postgres",
     [](const std::string& dir, const Clock& clock) {
         auto& server = testing::PostgresServer::Shared();
         return OpenPostgresStore({server.Database(dir), server.password()}, clock);
     },
     [] {
         auto& server = testing::PostgresServer::Shared();
         return server.available() ? std::string() : server.why();
     }},
};

class BudgetStoreTest : public ::testing::TestWithParam<BudgetBackend> {
  protected:
    void SetUp() override {
        if (const std::string why = GetParam().unavailable(); !why.empty())
            GTEST_SKIP() << "PostgreSQL unavailable: " << why;
        auto s = GetParam().open(dir_.path(), clock_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
    }
    testing::TempDir dir_;
    ManualClock clock_{1'700'000'000};
    std::unique_ptr<Store> store_;
};

TEST_P(BudgetStoreTest, LabelsAreStoredUpdatedAndSurviveAReopen) {
    Resource r;
    r.name = "checkout";
    r.provider = "aws";
    r.provider_ref = "asg-checkout";
    r.instance_type = "m5.large";
    r.labels = {{"team", "payments"}, {"env", "prod"}, {"example.com/tier", ""}};
    auto created = store_->CreateResource(r);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(created->labels, r.labels);
    EXPECT_EQ(store_->GetResource(created->id)->labels, r.labels);
    created->labels = {{"team", "search"}};
    auto updated = store_->UpdateResource(*created);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_EQ(store_->FindResourceByName("checkout")->labels, (ResourceLabels{{"team", "search"}}));
    store_.reset();
    auto reopened = GetParam().open(dir_.path(), clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    auto listed = (*reopened)->ListResources();
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].labels, (ResourceLabels{{"team", "search"}}));
}

TEST_P(BudgetStoreTest, BudgetsAreCreatedUpdatedListedAndDeleted) {
    Budget b;
    b.name = "payments";
    b.scope = BudgetScope::kLabel;
    b.target = "team:payments";
    b.monthly_usd = 1250.5;
    b.cap_mode = BudgetCapMode::kSoft;
    auto created = store_->SaveBudget(b);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_GT(created->id, 0);
    EXPECT_EQ(created->created_at, 1'700'000'000);

    Budget total;
    total.name = "all";
    total.monthly_usd = 5000;
    ASSERT_TRUE(store_->SaveBudget(total).ok());
    auto taken = store_->SaveBudget(total);
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().code, ErrorCode::kConflict);

    clock_.Set(1'700'000'060);
    created->monthly_usd = 900;
    created->cap_mode = BudgetCapMode::kHard;
    auto updated = store_->SaveBudget(*created);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_EQ(updated->created_at, 1'700'000'000);
    EXPECT_EQ(updated->updated_at, 1'700'000'060);

    auto listed = store_->ListBudgets();
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].name, "all");  // by name
    const Budget& got = (*listed)[1];
    EXPECT_EQ(got.scope, BudgetScope::kLabel);
    EXPECT_EQ(got.target, "team:payments");
    EXPECT_DOUBLE_EQ(got.monthly_usd, 900);
    EXPECT_EQ(got.cap_mode, BudgetCapMode::kHard);

    Budget ghost = got;
    ghost.id = 9999;
    EXPECT_EQ(store_->SaveBudget(ghost).error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(store_->DeleteBudget(got.id).ok());
    EXPECT_EQ(store_->DeleteBudget(got.id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->ListBudgets()->size(), 1u);
}

// The state last sent to the webhook (Budget::alerted) is kept apart from the fields a PUT changes, and outlives a
// reopen (a restart), so the service sends only changes.
TEST_P(BudgetStoreTest, TheAlertStateSentIsKeptApartFromTheBudgetsFields) {
    Budget b;
    b.name = "payments";
    b.monthly_usd = 500;
    auto created = store_->SaveBudget(b);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(store_->ListBudgets()->front().alerted, BudgetState::kOk);  // new: nothing sent yet
    ASSERT_TRUE(store_->SetBudgetAlerted(created->id, BudgetState::kOver).ok());
    EXPECT_EQ(store_->ListBudgets()->front().alerted, BudgetState::kOver);
    created->monthly_usd = 800;
    created->alerted = BudgetState::kOk;  // SaveBudget does not write it
    ASSERT_TRUE(store_->SaveBudget(*created).ok());
    EXPECT_EQ(store_->ListBudgets()->front().alerted, BudgetState::kOver);
    EXPECT_DOUBLE_EQ(store_->ListBudgets()->front().monthly_usd, 800);
    EXPECT_EQ(store_->SetBudgetAlerted(9999, BudgetState::kOk).error().code, ErrorCode::kNotFound);
    store_.reset();
    auto reopened = GetParam().open(dir_.path(), clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    EXPECT_EQ((*reopened)->ListBudgets()->front().alerted, BudgetState::kOver);
}

INSTANTIATE_TEST_SUITE_P(Backends, BudgetStoreTest, ::testing::ValuesIn(kBudgetBackends),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace cloudopt
