// The two baselines every model must beat: naive (last value) and seasonal naive (one season ago).

#include <algorithm>

#include "forecast/point_model.hpp"

namespace cloudopt {

namespace {

class NaiveModel final : public PointModel {
public:
    std::string name() const override { return "naive"; }
    Status Fit(std::span<const double> train, const SeriesContext&) override {
        if (train.empty()) return MakeError(ErrorCode::kUnprocessable, "naive needs at least one point");
        return Status::Ok();
    }
    void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                             std::vector<double>& out) const override {
        out.clear();
        for (std::size_t t = first_origin; t <= values.size(); ++t)
            out.insert(out.end(), static_cast<std::size_t>(horizon), values[t - 1]);
    }
    std::string SaveState() const override { return {}; }
    Status LoadState(std::string_view, const SeriesContext&) override { return Status::Ok(); }
};

class SeasonalNaiveModel final : public PointModel {
public:
    std::string name() const override { return "seasonal_naive"; }
    Status Fit(std::span<const double> train, const SeriesContext& context) override {
        if (train.empty()) return MakeError(ErrorCode::kUnprocessable, "seasonal naive needs at least one point");
        season_ = std::max(1, context.season);
        return Status::Ok();
    }
    void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                             std::vector<double>& out) const override {
        out.clear();
        const auto m = static_cast<std::size_t>(season_);
        for (std::size_t t = first_origin; t <= values.size(); ++t) {
            for (int h = 1; h <= horizon; ++h) {
                // The same phase in the last full season before the origin; the last value if there is none.
                const std::size_t back = m - (static_cast<std::size_t>(h - 1) % m);
                out.push_back(t >= back ? values[t - back] : values[t - 1]);
            }
        }
    }

    std::string SaveState() const override { return {}; }
    Status LoadState(std::string_view, const SeriesContext& context) override {
        season_ = std::max(1, context.season);
        return Status::Ok();
    }

private:
    int season_ = 1;
};

}  // namespace

std::unique_ptr<PointModel> MakeNaiveModel() { return std::make_unique<NaiveModel>(); }
std::unique_ptr<PointModel> MakeSeasonalNaiveModel() { return std::make_unique<SeasonalNaiveModel>(); }

}  // namespace cloudopt
