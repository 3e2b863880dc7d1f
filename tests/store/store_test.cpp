// Store tests are written against the Store interface; every backend runs the same suite: SQLite (with both
// durability settings) and PostgreSQL (a server this test process starts: tests/support/postgres_server.hpp; the
// suite is skipped, with the reason, where PostgreSQL is not installed).

#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "store/explanation_json.hpp"
#include "store/postgres/postgres_store.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

struct Backend {
    const char* name;
    // Opens the backend's store for a test's folder; the same folder opens the same store again.
    Result<std::unique_ptr<Store>> (*open)(const std::string& dir, const Clock& clock);
    // Why the backend cannot run here ("" when it can).
    std::string (*unavailable)() = [] { return std::string(); };
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

const Backend kBackends[] = {
    {"sqlite", [](const std::string& dir, const Clock& clock) { return OpenSqliteStore(dir + "/t.db", clock); }},
    {"sqlite_fsync", [](const std::string& dir,
                        const Clock& clock) { return OpenSqliteStore(dir + "/t.db", clock, Durability::kPowerLoss); }},
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

class StoreTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        if (const std::string why = GetParam().unavailable(); !why.empty())
            GTEST_SKIP() << "PostgreSQL unavailable: " << why;
        auto s = GetParam().open(dir_.path(), clock_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
    }
    Resource Make(const std::string& name) {
        Resource r;
        r.name = name;
        r.provider = "aws";
        r.provider_ref = "asg-" + name;
        r.instance_type = "m5.large";
        auto created = store_->CreateResource(r);
        EXPECT_TRUE(created.ok()) << created.error().message;
        return *created;
    }

    testing::TempDir dir_;
    ManualClock clock_{1'700'000'000};
    std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, ResourceCrud) {
    Resource a = Make("web");
    EXPECT_GT(a.id, 0);
    EXPECT_EQ(a.created_at, 1'700'000'000);
    auto got = store_->GetResource(a.id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->name, "web");
    EXPECT_EQ(got->mode, Mode::kRecommend);
    EXPECT_DOUBLE_EQ(got->target_low, 0.70);
    EXPECT_DOUBLE_EQ(got->target_high, 0.80);

    clock_.Advance(10);
    got->mode = Mode::kAuto;
    got->max_capacity = 99;
    auto updated = store_->UpdateResource(*got);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_EQ(updated->created_at, a.created_at);
    EXPECT_EQ(updated->updated_at, a.created_at + 10);
    EXPECT_EQ(store_->GetResource(a.id)->max_capacity, 99);
    EXPECT_EQ(store_->GetResource(a.id)->mode, Mode::kAuto);

    Make("api");
    EXPECT_EQ(store_->ListResources()->size(), 2u);
    EXPECT_EQ(store_->FindResourceByName("api")->name, "api");
    EXPECT_EQ(store_->FindResourceByName("nope").error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(store_->DeleteResource(a.id).ok());
    EXPECT_EQ(store_->GetResource(a.id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->DeleteResource(a.id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->ListResources()->size(), 1u);
}

TEST_P(StoreTest, NamesAreUnique) {
    Make("web");
    Resource dup;
    dup.name = "web";
    dup.provider = "aws";
    dup.provider_ref = "x";
    dup.instance_type = "t";
    auto r = store_->CreateResource(dup);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kConflict);
    Resource other = Make("api");
    other.name = "web";
    EXPECT_EQ(store_->UpdateResource(other).error().code, ErrorCode::kConflict);
    other.id = 12345;
    other.name = "zzz";
    EXPECT_EQ(store_->UpdateResource(other).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, SamplesRoundTripAndUpsert) {
    Resource r = Make("web");
    std::vector<SeriesSamples> batch = {{{r.id, "cpu"}, {{100, 1}, {160, 2}, {220, 3}}}, {{r.id, "mem"}, {{100, 9}}}};
    ASSERT_TRUE(store_->AppendSamples(batch).ok());
    std::vector<SeriesSamples> fix = {{{r.id, "cpu"}, {{160, 20}}}};
    ASSERT_TRUE(store_->AppendSamples(fix).ok());
    auto all = store_->QuerySamples({r.id, "cpu"}, 0, 1000);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(*all, (std::vector<Sample>{{100, 1}, {160, 20}, {220, 3}}));
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, 160, 220)->size(), 1u);  // [from, to)
    EXPECT_EQ(*store_->LatestSample({r.id, "cpu"}).value(), (Sample{220, 3}));
    EXPECT_FALSE(store_->LatestSample({r.id, "nope"}).value());
    EXPECT_EQ(*store_->ListMetrics(r.id), (std::vector<std::string>{"cpu", "mem"}));
}

TEST_P(StoreTest, ListenersHearOfEveryCommittedChangeToSamples) {
    Resource r = Make("web");
    std::vector<std::pair<SeriesKey, UnixSeconds>> heard;
    store_->OnSamplesChanged([&](const SeriesKey& key, UnixSeconds since) { heard.emplace_back(key, since); });
    std::vector<SeriesSamples> batch = {{{r.id, "cpu"}, {{220, 3}, {100, 1}}}, {{r.id, "mem"}, {{160, 9}}}};
    ASSERT_TRUE(store_->AppendSamples(batch).ok());
    ASSERT_EQ(heard.size(), 2u);
    EXPECT_EQ(heard[0], std::make_pair(SeriesKey{r.id, "cpu"}, UnixSeconds{100}));  // the oldest changed sample
    EXPECT_EQ(heard[1], std::make_pair(SeriesKey{r.id, "mem"}, UnixSeconds{160}));
    // A batch that fails stores nothing, so nobody hears of it.
    std::vector<SeriesSamples> bad = {{{r.id, "cpu"}, {{50, 1}}}, {{r.id + 100, "cpu"}, {{50, 1}}}};
    EXPECT_FALSE(store_->AppendSamples(bad).ok());
    EXPECT_EQ(heard.size(), 2u);
    ASSERT_TRUE(store_->DeleteResource(r.id).ok());
    ASSERT_EQ(heard.size(), 3u);
    EXPECT_EQ(heard[2].first, (SeriesKey{r.id, ""}));  // every metric of the resource
    EXPECT_EQ(heard[2].second, INT64_MIN);
}

TEST_P(StoreTest, SamplesSpanningManyChunksComeBackInOrder) {
    Resource r = Make("web");
    SeriesSamples s{{r.id, "cpu"}, {}};
    // Unsorted, with a duplicate timestamp whose later value wins, across several hours.
    for (int i = 299; i >= 0; --i) s.samples.push_back({1'700'000'000 + i * 97, static_cast<double>(i)});
    s.samples.push_back({1'700'000'000 + 5 * 97, 555.0});
    ASSERT_TRUE(store_->AppendSamples({&s, 1}).ok());
    // A second batch that lands inside existing chunks.
    SeriesSamples more{{r.id, "cpu"}, {{1'700'000'001, -1.0}, {1'700'000'000 + 10 * 97, 1010.0}}};
    ASSERT_TRUE(store_->AppendSamples({&more, 1}).ok());
    auto all = store_->QuerySamples({r.id, "cpu"}, 0, INT64_MAX);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 301u);
    for (std::size_t i = 1; i < all->size(); ++i) ASSERT_LT((*all)[i - 1].ts, (*all)[i].ts);
    EXPECT_EQ((*all)[0], (Sample{1'700'000'000, 0.0}));
    EXPECT_EQ((*all)[1], (Sample{1'700'000'001, -1.0}));
    EXPECT_EQ((*all)[6].value, 555.0);
    EXPECT_EQ((*all)[11].value, 1010.0);
    EXPECT_EQ(*store_->LatestSample({r.id, "cpu"}).value(), (Sample{1'700'000'000 + 299 * 97, 299.0}));
    // A window inside one chunk.
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, 1'700'000'000 + 97, 1'700'000'000 + 3 * 97)->size(), 2u);
}

TEST_P(StoreTest, RecentWindowsStayExactAcrossWritesRollbacksAndDeletes) {
    // Queries near "now" are served from the recent-samples cache; it must never disagree with the database.
    Resource r = Make("web");
    const UnixSeconds now = clock_.Now();
    SeriesSamples first{{r.id, "cpu"}, {{now - 3600, 1}, {now - 60, 2}}};
    ASSERT_TRUE(store_->AppendSamples({&first, 1}).ok());
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, now - 7200, now + 1)->size(), 2u);  // loads the window
    SeriesSamples second{{r.id, "cpu"}, {{now - 60, 20}, {now, 3}}};
    ASSERT_TRUE(store_->AppendSamples({&second, 1}).ok());
    EXPECT_EQ(*store_->QuerySamples({r.id, "cpu"}, now - 7200, now + 1),
              (std::vector<Sample>{{now - 3600, 1}, {now - 60, 20}, {now, 3}}));
    // A failed batch leaves the cache as it was.
    std::vector<SeriesSamples> bad = {{{r.id, "cpu"}, {{now + 1, 99}}}, {{r.id + 77, "cpu"}, {{now, 1}}}};
    ASSERT_FALSE(store_->AppendSamples(bad).ok());
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, now - 7200, now + 10)->size(), 3u);
    EXPECT_EQ(*store_->LatestSample({r.id, "cpu"}).value(), (Sample{now, 3}));
    // Older history still comes from the database, merged correctly with nothing lost.
    SeriesSamples old{{r.id, "cpu"}, {{now - 10 * 86400, 7}}};
    ASSERT_TRUE(store_->AppendSamples({&old, 1}).ok());
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, now - 11 * 86400, now + 1)->size(), 4u);
    ASSERT_TRUE(store_->DeleteResource(r.id).ok());
    Resource again = Make("web");
    EXPECT_TRUE(store_->QuerySamples({again.id, "cpu"}, now - 7200, now + 1)->empty());
}

TEST_P(StoreTest, DownsamplesInTheStore) {
    Resource r = Make("web");
    SeriesSamples s{{r.id, "cpu"}, {}};
    for (int i = 0; i < 60; ++i) s.samples.push_back({6000 + i * 10, static_cast<double>(i)});
    ASSERT_TRUE(store_->AppendSamples({&s, 1}).ok());
    auto avg = store_->QueryDownsampled({r.id, "cpu"}, 6000, 6600, 300, Aggregation::kAvg);
    ASSERT_TRUE(avg.ok());
    EXPECT_EQ(*avg, (std::vector<Sample>{{6000, 14.5}, {6300, 44.5}}));
    auto mx = store_->QueryDownsampled({r.id, "cpu"}, 6100, 6600, 300, Aggregation::kMax);
    EXPECT_EQ(*mx, (std::vector<Sample>{{6000, 29}, {6300, 59}}));  // from is aligned down to a whole bucket
    EXPECT_EQ(store_->QueryDownsampled({r.id, "cpu"}, 0, 1, 0, Aggregation::kAvg).error().code,
              ErrorCode::kInvalidArgument);
}

TEST_P(StoreTest, RetentionDropsWholeUnitsOlderThanTheCutOff) {
    Resource r = Make("web");
    constexpr UnixSeconds kWeek = 7 * 86400;
    const UnixSeconds base = 2800 * kWeek;  // a week's start, so also an hour's
    SeriesSamples s{{r.id, "cpu"},
                    {{base - 3 * kWeek, 1}, {base - kWeek + 10, 2}, {base - 10, 3}, {base, 4}, {base + 5, 5}}};
    ASSERT_TRUE(store_->AppendSamples({&s, 1}).ok());
    std::vector<std::pair<SeriesKey, UnixSeconds>> heard;
    store_->OnSamplesChanged([&](const SeriesKey& key, UnixSeconds since) { heard.emplace_back(key, since); });
    auto pruned = store_->PruneSamples(base);
    ASSERT_TRUE(pruned.ok()) << pruned.error().message;
    EXPECT_GT(*pruned, 0);
    EXPECT_EQ(*store_->QuerySamples({r.id, "cpu"}, 0, INT64_MAX), (std::vector<Sample>{{base, 4}, {base + 5, 5}}));
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_EQ(heard[0], std::make_pair(SeriesKey{r.id, "cpu"}, UnixSeconds{INT64_MIN}));
    // Never a sample at or after the cut-off, and nothing of a unit that is not wholly older.
    ASSERT_TRUE(store_->PruneSamples(base + 5).ok());
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, 0, INT64_MAX)->size(), 2u);
    // A dropped span takes samples again.
    SeriesSamples late{{r.id, "cpu"}, {{base - kWeek, 9}}};
    ASSERT_TRUE(store_->AppendSamples({&late, 1}).ok());
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, 0, INT64_MAX)->size(), 3u);
    EXPECT_EQ(*store_->LatestSample({r.id, "cpu"}).value(), (Sample{base + 5, 5}));
}

TEST_P(StoreTest, ValuesComeBackBitForBit) {
    Resource r = Make("web");
    const std::vector<double> values = {1.0 / 3.0, 0.1, 1e-300, 123456789.123456789, 1e300, -2.5e-7, 4.0 / 7.0};
    SeriesSamples s{{r.id, "cpu"}, {}};
    for (std::size_t i = 0; i < values.size(); ++i)
        s.samples.push_back({static_cast<UnixSeconds>(1000 + i), values[i]});
    ASSERT_TRUE(store_->AppendSamples({&s, 1}).ok());
    auto back = store_->QuerySamples({r.id, "cpu"}, 0, 2000);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*back)[i].value, values[i]) << i;
}

TEST_P(StoreTest, OneBatchMayNameASeriesTwice) {
    Resource r = Make("web");
    std::vector<SeriesSamples> batch = {{{r.id, "cpu"}, {{100, 1}, {200, 2}}}, {{r.id, "cpu"}, {{200, 20}, {300, 3}}}};
    ASSERT_TRUE(store_->AppendSamples(batch).ok());
    EXPECT_EQ(*store_->QuerySamples({r.id, "cpu"}, 0, 1000), (std::vector<Sample>{{100, 1}, {200, 20}, {300, 3}}));
}

TEST_P(StoreTest, ABatchWithAnUnknownResourceStoresNothing) {
    Resource r = Make("web");
    std::vector<SeriesSamples> batch = {{{r.id, "cpu"}, {{100, 1}}}, {{r.id + 1000, "cpu"}, {{100, 1}}}};
    Status s = store_->AppendSamples(batch);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
    EXPECT_TRUE(store_->QuerySamples({r.id, "cpu"}, 0, 1000)->empty());
    EXPECT_TRUE(store_->ListMetrics(r.id)->empty());
    // The store still works after the rollback, including the series it had to forget.
    std::vector<SeriesSamples> good = {{{r.id, "cpu"}, {{100, 1}}}};
    ASSERT_TRUE(store_->AppendSamples(good).ok());
    EXPECT_EQ(store_->QuerySamples({r.id, "cpu"}, 0, 1000)->size(), 1u);
}

TEST_P(StoreTest, BatchesOverManySeriesOverwriteWithoutConflictOrDeadlock) {
    // A batch names many series (new and known, in no order); concurrent batches over the same series, in opposite
    // orders, overwrite each other's samples: each batch is stored whole, none fails, the last value of each time wins.
    Resource a = Make("web");
    Resource b = Make("api");
    constexpr int kSeries = 40;
    const auto batch_of = [&](int round, bool reversed) {
        std::vector<SeriesSamples> batch;
        for (int i = 0; i < kSeries; ++i) {
            const int n = reversed ? kSeries - 1 - i : i;
            const ResourceId id = n % 2 ? a.id : b.id;
            batch.push_back({{id, "m\"\\" + std::to_string(n)}, {{1000 + n, round * 1.0}, {2000, round * 1.0}}});
        }
        return batch;
    };
    ASSERT_TRUE(store_->AppendSamples(batch_of(0, false)).ok());
    std::atomic<bool> failed{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            for (int round = 1; round <= 10; ++round) {
                if (Status s = store_->AppendSamples(batch_of(round, w % 2 == 1)); !s) {
                    ADD_FAILURE() << s.error().message;
                    failed = true;
                }
            }
        });
    }
    for (auto& t : writers) t.join();
    ASSERT_FALSE(failed);
    for (int n = 0; n < kSeries; ++n) {
        const ResourceId id = n % 2 ? a.id : b.id;
        auto back = store_->QuerySamples({id, "m\"\\" + std::to_string(n)}, 0, 3000);
        ASSERT_TRUE(back.ok());
        ASSERT_EQ(back->size(), 2u) << n;
        EXPECT_EQ((*back)[0].value, 10.0);  // every writer's last round wrote 10
        EXPECT_EQ((*back)[1].value, 10.0);
    }
    EXPECT_EQ(store_->ListMetrics(a.id)->size(), static_cast<std::size_t>(kSeries / 2));
}

TEST_P(StoreTest, PredictionsKeepTheNewest) {
    Resource r = Make("web");
    Forecast f;
    f.model = "seasonal_naive";
    f.step = 300;
    f.accuracy = 0.9;
    for (int g = 0; g < 15; ++g) {
        f.generated_at = 1000 + g;
        f.points = {{2000 + g, 1.0 * g, 2.0 * g, 3.0 * g, 4.0 * g}};
        ASSERT_TRUE(store_->SavePrediction(r.id, "cpu", f).ok());
    }
    auto latest = store_->LatestPrediction(r.id, "cpu");
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->generated_at, 1014);
    EXPECT_EQ((*latest)->model, "seasonal_naive");
    EXPECT_DOUBLE_EQ((*latest)->accuracy, 0.9);
    EXPECT_EQ((*latest)->points, (std::vector<ForecastPoint>{{2014, 14, 28, 42, 56}}));
    EXPECT_FALSE(store_->LatestPrediction(r.id, "other")->has_value());
    EXPECT_EQ(store_->SavePrediction(r.id + 99, "cpu", f).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, ModelsReplacePerSeriesAndGoWithTheirResource) {
    Resource a = Make("web");
    Resource b = Make("api");
    std::string bytes(70000, '\0');  // binary, with NULs, the size of an LSTM
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31);
    ASSERT_TRUE(store_->SaveModel({a.id, "cpu", 100, "lstm", 0.9, "old"}).ok());
    ASSERT_TRUE(store_->SaveModel({a.id, "cpu", 200, "combination(naive=0.3,lstm=0.7)", 0.95, bytes}).ok());
    ASSERT_TRUE(store_->SaveModel({b.id, "cpu", 150, "holt_winters", 0.8, "hw"}).ok());
    auto models = store_->ListModels();
    ASSERT_TRUE(models.ok());
    ASSERT_EQ(models->size(), 2u);
    EXPECT_EQ((*models)[0].resource_id, a.id);
    EXPECT_EQ((*models)[0].trained_at, 200);
    EXPECT_EQ((*models)[0].model, "combination(naive=0.3,lstm=0.7)");
    EXPECT_DOUBLE_EQ((*models)[0].accuracy, 0.95);
    EXPECT_EQ((*models)[0].bytes, bytes);
    EXPECT_EQ(store_->SaveModel({a.id + b.id + 99, "cpu", 1, "x", 0, "x"}).error().code, ErrorCode::kNotFound);
    // One model by its resource and metric: the newest bytes, or none.
    auto one = store_->LoadModel(a.id, "cpu");
    ASSERT_TRUE(one.ok() && one->has_value());
    EXPECT_EQ((*one)->bytes, bytes);
    EXPECT_EQ((*one)->trained_at, 200);
    EXPECT_FALSE(store_->LoadModel(a.id, "memory")->has_value());
    ASSERT_TRUE(store_->DeleteResource(a.id).ok());
    EXPECT_FALSE(store_->LoadModel(a.id, "cpu")->has_value());
    models = store_->ListModels();
    ASSERT_EQ(models->size(), 1u);
    EXPECT_EQ((*models)[0].resource_id, b.id);
}

TEST_P(StoreTest, TheSharedNetworkIsOneRowThatSavingReplaces) {
    auto none = store_->LoadSharedNetwork();
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(*none);
    std::string bytes(150000, '\0');  // binary, with NULs, the size of two networks
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 17);
    ASSERT_TRUE(store_->SaveSharedNetwork({100, 3, "old"}).ok());
    ASSERT_TRUE(store_->SaveSharedNetwork({200, 4, bytes}).ok());
    auto back = store_->LoadSharedNetwork();
    ASSERT_TRUE(back.ok() && *back);
    EXPECT_EQ((*back)->trained_at, 200);
    EXPECT_EQ((*back)->members, 4);
    EXPECT_EQ((*back)->bytes, bytes);
}

TEST_P(StoreTest, ADecisionsSummaryAndExplanationComeBackAsRecorded) {
    Resource a = Make("web");
    AllocationAction act;
    act.resource_id = a.id;
    act.ts = 100;
    act.from_capacity = 3;
    act.to_capacity = 8;
    act.status = ActionStatus::kApplied;
    act.summary = "3 -> 8: p95 forecast 60 cpu_cores in 5 min needs 8 at 75%; +$0.500/h";
    act.explanation.rule = "forecast";
    act.explanation.quantile = "p95";
    act.explanation.has_forecast = true;
    act.explanation.forecast_peak = 60.25;
    act.explanation.forecast_peak_in = 300;
    act.explanation.held_by = "";
    act.explanation.from = 3;
    act.explanation.to = 8;
    ASSERT_TRUE(store_->RecordAction(act).ok());
    AllocationAction plain;  // recorded without an explanation, as actions before v10 were
    plain.resource_id = a.id;
    plain.ts = 50;
    ASSERT_TRUE(store_->RecordAction(plain).ok());
    auto all = store_->ListActions({});
    ASSERT_EQ(all->size(), 2u);
    const AllocationAction& got = (*all)[0];
    EXPECT_EQ(got.summary, act.summary);
    EXPECT_EQ(got.explanation.rule, "forecast");
    EXPECT_TRUE(got.explanation.has_forecast);
    EXPECT_DOUBLE_EQ(got.explanation.forecast_peak, 60.25);
    EXPECT_EQ(got.explanation.forecast_peak_in, 300);
    EXPECT_FALSE(got.explanation.has_load);
    EXPECT_EQ(got.explanation.to, 8);
    EXPECT_TRUE((*all)[1].summary.empty());
    EXPECT_FALSE((*all)[1].explanation.has_forecast);

    Recommendation rec;
    rec.resource_id = a.id;
    rec.from_capacity = 8;
    rec.to_capacity = 6;
    rec.summary = "8 -> 6: scale-in";
    rec.explanation.rule = "forecast";
    ASSERT_TRUE(store_->SaveRecommendation(rec).ok());
    auto recs = store_->ListRecommendations(std::nullopt);
    ASSERT_EQ(recs->size(), 1u);
    EXPECT_EQ((*recs)[0].summary, "8 -> 6: scale-in");
    EXPECT_EQ((*recs)[0].explanation.rule, "forecast");
}

TEST(ExplanationJson, TextThatIsNotAnExplanationReadsAsNone) {
    for (const char* text : {"", "not json", "[1,2]", "{\"rule\": 5, \"to\": \"x\"}", "{\"to\": 1e300}",
                             "{\"to\": 3000000000}", "{\"from\": -1.5}"}) {
        const DecisionExplanation e = ExplanationFromJson(text);
        EXPECT_TRUE(e.rule.empty()) << text;
        EXPECT_EQ(e.to, 0) << text;
    }
}

TEST_P(StoreTest, AuditLogPagesAndSearch) {
    IdentityStore& identity = store_->Identity();
    for (int i = 0; i < 5; ++i) {
        AuditEntry e;
        e.ts = 1000 + i;
        e.actor = i % 2 ? "user:alice" : "user:bob";
        e.action = i == 4 ? "DELETE /api/users/{id}" : "POST /api/tokens";
        e.target = i == 4 ? "/api/users/7" : "/api/tokens";
        e.status = 201;
        ASSERT_TRUE(identity.AppendAudit(e).ok());
    }
    auto all = identity.ListAudit({0, 100});
    ASSERT_EQ(all->size(), 5u);
    EXPECT_EQ((*all)[0].ts, 1004);  // newest first
    auto page2 = identity.ListAudit({0, 2, 2});
    ASSERT_EQ(page2->size(), 2u);
    EXPECT_EQ((*page2)[0].ts, 1002);
    EXPECT_EQ(identity.ListAudit({0, 2, 4})->size(), 1u);
    EXPECT_EQ(identity.ListAudit({0, 100, 0, "alice"})->size(), 2u) << "in the actor";
    EXPECT_EQ(identity.ListAudit({0, 100, 0, "DELETE"})->size(), 1u) << "in the action";
    EXPECT_EQ(identity.ListAudit({0, 100, 0, "/api/users/7"})->size(), 1u) << "in the target";
    EXPECT_TRUE(identity.ListAudit({0, 100, 0, "carol"})->empty());
    EXPECT_EQ(identity.ListAudit({1003, 100, 0, "bob"})->size(), 1u) << "since and search together";
}

TEST_P(StoreTest, ActionsAndRecommendations) {
    Resource a = Make("web");
    Resource b = Make("api");
    for (int i = 0; i < 5; ++i) {
        AllocationAction act;
        act.resource_id = i % 2 ? a.id : b.id;
        act.ts = 100 + i;
        act.from_capacity = i;
        act.to_capacity = i + 1;
        act.reason = "because " + std::to_string(i);
        act.status = ActionStatus::kApplied;
        ASSERT_TRUE(store_->RecordAction(act).ok());
    }
    auto all = store_->ListActions({});
    ASSERT_EQ(all->size(), 5u);
    EXPECT_EQ((*all)[0].ts, 104);  // newest first
    EXPECT_EQ(store_->ListActions({a.id, 0, 100})->size(), 2u);
    EXPECT_EQ(store_->ListActions({std::nullopt, 103, 100})->size(), 2u);
    EXPECT_EQ(store_->ListActions({std::nullopt, 0, 1})->size(), 1u);
    EXPECT_EQ(*store_->CountActions(102), 3);
    // Pages (the dashboard's tables): the second page of two starts where the first ended.
    auto page2 = store_->ListActions({std::nullopt, 0, 2, 2});
    ASSERT_EQ(page2->size(), 2u);
    EXPECT_EQ((*page2)[0].ts, 102);
    EXPECT_EQ((*page2)[1].ts, 101);
    EXPECT_EQ(store_->ListActions({std::nullopt, 0, 2, 4})->size(), 1u);
    EXPECT_EQ(store_->ListActions({std::nullopt, 0, 100, 0, ActionStatus::kApplied})->size(), 5u);
    EXPECT_TRUE(store_->ListActions({std::nullopt, 0, 100, 0, ActionStatus::kFailed})->empty());

    Recommendation rec;
    rec.resource_id = a.id;
    rec.from_capacity = 5;
    rec.to_capacity = 3;
    rec.reason = "r1";
    auto first = store_->SaveRecommendation(rec);
    rec.to_capacity = 2;
    auto second = store_->SaveRecommendation(rec);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(store_->GetRecommendation(first->id)->status, "superseded");
    auto open = store_->ListRecommendations(std::string("open"));
    ASSERT_EQ(open->size(), 1u);
    EXPECT_EQ((*open)[0].to_capacity, 2);
    ASSERT_TRUE(store_->SetRecommendationStatus(second->id, "applied").ok());
    EXPECT_TRUE(store_->ListRecommendations(std::string("open"))->empty());
    EXPECT_EQ(store_->ListRecommendations(std::nullopt)->size(), 2u);
    EXPECT_FALSE(store_->SetRecommendationStatus(second->id, "bogus").ok());
    EXPECT_EQ(store_->SetRecommendationStatus(999, "applied").error().code, ErrorCode::kNotFound);

    // Deleting a resource takes its actions and recommendations with it.
    ASSERT_TRUE(store_->DeleteResource(a.id).ok());
    EXPECT_EQ(store_->ListActions({})->size(), 3u);
    EXPECT_TRUE(store_->ListRecommendations(std::nullopt)->empty());
}

TEST_P(StoreTest, ConcurrentWritersAndReaders) {
    Resource r = Make("web");
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < 3; ++w) {
        threads.emplace_back([&, w] {
            for (int i = 0; i < 100; ++i) {
                std::vector<SeriesSamples> b = {{{r.id, "m" + std::to_string(w)}, {{i, static_cast<double>(i)}}}};
                if (!store_->AppendSamples(b).ok()) failed = true;
            }
        });
    }
    for (int rd = 0; rd < 3; ++rd) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i) {
                if (!store_->QuerySamples({r.id, "m0"}, 0, 1000).ok()) failed = true;
                if (!store_->ListResources().ok()) failed = true;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_FALSE(failed);
    for (int w = 0; w < 3; ++w) EXPECT_EQ(store_->QuerySamples({r.id, "m" + std::to_string(w)}, 0, 1000)->size(), 100u);
}

TEST_P(StoreTest, ReopeningKeepsDataAndSchema) {
    Resource r = Make("web");
    r.risk_quantile = "p90";
    r.allowed_types = {"m6g.large", "gcp/e2-standard-2"};
    r.spot_share_max = 0.25;
    r.max_step = 4;
    r.load_query = "sum(rate(x[2m]))";
    ASSERT_TRUE(store_->UpdateResource(r).ok());
    std::vector<SeriesSamples> b = {{{r.id, "cpu"}, {{1, 1}}}};
    ASSERT_TRUE(store_->AppendSamples(b).ok());
    store_.reset();
    auto reopened = GetParam().open(dir_.path(), clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    auto back = (*reopened)->GetResource(r.id);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->name, "web");
    EXPECT_EQ(back->risk_quantile, "p90");
    EXPECT_EQ(back->allowed_types, r.allowed_types);
    EXPECT_DOUBLE_EQ(back->spot_share_max, 0.25);
    EXPECT_EQ(back->max_step, 4);
    EXPECT_EQ(back->load_query, r.load_query);
    EXPECT_EQ((*reopened)->QuerySamples({r.id, "cpu"}, 0, 10)->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(kBackends),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(SqliteStore, RefusesADatabaseFromANewerVersion) {
    testing::TempDir dir;
    ManualClock clock(0);
    ASSERT_TRUE(OpenSqliteStore(dir.File("t.db"), clock).ok());
    // A newer cloudopt migrated this file further than this build knows.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("t.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version (version) VALUES (99)", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    auto s = OpenSqliteStore(dir.File("t.db"), clock);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("upgrade cloudopt"), std::string::npos) << s.error().message;
}

TEST(SqliteStore, ReadsForecastsStoredBeforeP99BandsWithTheirP95InItsPlace) {
    testing::TempDir dir;
    ManualClock clock(0);
    Resource r;
    {
        auto s = OpenSqliteStore(dir.File("t.db"), clock);
        ASSERT_TRUE(s.ok()) << s.error().message;
        r.name = "web";
        r.provider = "aws";
        r.provider_ref = "asg-web";
        r.instance_type = "m5.large";
        auto created = (*s)->CreateResource(r);
        ASSERT_TRUE(created.ok()) << created.error().message;
        r = *created;
    }
    // A row as an earlier build wrote it: [ts, p50, p90, p95].
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("t.db").c_str(), &db), SQLITE_OK);
    const std::string insert =
        "INSERT INTO predictions (resource_id, metric, generated_at, model, step_s, accuracy, "
        "points) VALUES (" +
        std::to_string(r.id) +
        ", 'cpu', 100, 'naive', 60, 0.9, "
        "'[[160, 1.0, 2.0, 3.0]]')";
    ASSERT_EQ(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    const std::string damaged_row =
        "INSERT INTO predictions (resource_id, metric, generated_at, model, step_s, "
        "accuracy, points) VALUES (" +
        std::to_string(r.id) +
        ", 'mem', 100, 'naive', 60, "
        "0.9, '[[160, 1.0], [220, \"x\", 2, 3]]')";
    ASSERT_EQ(sqlite3_exec(db, damaged_row.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto s = OpenSqliteStore(dir.File("t.db"), clock);
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto latest = (*s)->LatestPrediction(r.id, "cpu");
    ASSERT_TRUE(latest.ok() && latest->has_value()) << (latest.ok() ? "none" : latest.error().message);
    EXPECT_EQ((*latest)->points, (std::vector<ForecastPoint>{{160, 1.0, 2.0, 3.0, 3.0}}));
    // A damaged row is an error, not a crash.
    auto damaged = (*s)->LatestPrediction(r.id, "mem");
    ASSERT_FALSE(damaged.ok());
    EXPECT_EQ(damaged.error().code, ErrorCode::kInternal);
}

TEST(SqliteStore, ReportsAnUnopenablePath) {
    ManualClock clock(0);
    auto s = OpenSqliteStore("/nonexistent-dir/x/t.db", clock);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("/nonexistent-dir/x/t.db"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt
