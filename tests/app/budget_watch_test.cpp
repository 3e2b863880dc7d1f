// The service's budget check (app/budget_watch.hpp): a budget crossing its amount is sent, as a Slack-compatible
// message, to the alert webhook, which a local receiver takes here.
#include "app/budget_watch.hpp"

#include "api/api_fixture.hpp"
#include "app/alert_webhook.hpp"
#include "providers/fake_cloud_server.hpp"

namespace cloudopt {
namespace {

class BudgetWatchTest : public ApiTest {};

TEST_F(BudgetWatchTest, AStateChangeIsPostedToTheWebhookAndNotRepeated) {
    testing::FakeCloudServer receiver{[](const testing::RawRequest&) {
        testing::RawResponse ok;
        ok.body = "ok";
        return ok;
    }};
    AlertWebhook webhook(AlertWebhookOptions{receiver.url() + "/hook", 2}, metrics_);
    const int web = CreateResource("web", "sim/a");
    PushHistory(web);
    Budget budget;
    budget.name = "web-month";
    budget.scope = BudgetScope::kResource;
    budget.target = "web";
    budget.monthly_usd = 50;  // 13 days at 4-6 m5.large x 0.1 = 125-187: over at the p50
    ASSERT_TRUE(store_->SaveBudget(budget).ok());
    auto monitor = std::make_shared<api::BudgetMonitor>(*store_, *loop_, metrics_);
    std::vector<std::string> sent;
    BudgetWatch watch(monitor, clock_, std::chrono::seconds(3600), [&](std::string body) {
        sent.push_back(body);
        webhook.EnqueueBody(receiver.url() + "/hook", std::move(body));
    });
    watch.Start();  // checks at once, then hourly
    for (int i = 0; i < 100 && receiver.requests().empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    watch.Stop();
    ASSERT_EQ(receiver.requests().size(), 1u);
    const testing::RawRequest got = receiver.requests().front();
    EXPECT_EQ(got.method, "POST");
    EXPECT_EQ(got.target, "/hook");
    const json payload = json::parse(got.body);
    EXPECT_EQ(payload["text"], "Budget over: web-month");
    EXPECT_EQ(payload["attachments"][0]["color"], "danger");
    EXPECT_NE(payload["attachments"][0]["text"].get<std::string>().find("projected over"), std::string::npos);
    // A second check in the same state sends nothing; back within the budget sends the all-clear.
    ASSERT_TRUE(monitor->Check(kNow).ok());
    EXPECT_EQ(sent.size(), 1u);
    budget = store_->ListBudgets()->front();
    budget.monthly_usd = 100000;
    ASSERT_TRUE(store_->SaveBudget(budget).ok());
    ASSERT_TRUE(monitor->Check(kNow).ok());
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(json::parse(sent[1])["text"], "Budget back within its amount: web-month");
}

// The state last sent is kept in the store: a service restarted (a new monitor on the same store) sends only
// changes, not every budget that is not ok again.
TEST_F(BudgetWatchTest, ARestartSendsOnlyChanges) {
    const int web = CreateResource("web", "sim/a");
    PushHistory(web);
    Budget budget;
    budget.name = "web-month";
    budget.scope = BudgetScope::kResource;
    budget.target = "web";
    budget.monthly_usd = 50;  // over at the p50
    ASSERT_TRUE(store_->SaveBudget(budget).ok());
    auto watch_events = [](api::BudgetMonitor& monitor, std::vector<std::string>& into) {
        monitor.OnChange([&into](const api::BudgetEvent& e) {
            into.push_back(std::string(BudgetStateName(e.from)) + "->" + BudgetStateName(e.status.state));
        });
    };
    std::vector<std::string> first_run, second_run, third_run;
    {
        api::BudgetMonitor monitor(*store_, *loop_, metrics_);
        watch_events(monitor, first_run);
        ASSERT_TRUE(monitor.Check(kNow).ok());
    }
    EXPECT_EQ(first_run, std::vector<std::string>{"ok->over"});
    EXPECT_EQ(store_->ListBudgets()->front().alerted, BudgetState::kOver);
    {
        api::BudgetMonitor restarted(*store_, *loop_, metrics_);
        watch_events(restarted, second_run);
        ASSERT_TRUE(restarted.Check(kNow).ok());
    }
    EXPECT_TRUE(second_run.empty());  // still over: nothing to say
    budget = store_->ListBudgets()->front();
    budget.monthly_usd = 100000;
    ASSERT_TRUE(store_->SaveBudget(budget).ok());
    EXPECT_EQ(store_->ListBudgets()->front().alerted, BudgetState::kOver);  // SaveBudget leaves it
    {
        api::BudgetMonitor restarted(*store_, *loop_, metrics_);
        watch_events(restarted, third_run);
        ASSERT_TRUE(restarted.Check(kNow).ok());
    }
    EXPECT_EQ(third_run, std::vector<std::string>{"over->ok"});  // the change since, once
    EXPECT_EQ(store_->ListBudgets()->front().alerted, BudgetState::kOk);
}

}  // namespace
}  // namespace cloudopt
