#pragma once
// `cloudopt costs backtest`: how good the spend forecast (simulate/spend_forecast.hpp) is on real traces. For each
// series of a trace, the spend of its last `days` days is forecast from the load before them and compared with what
// the same sizing spends on the load that came: the p50's error, whether the actual fell inside p10-p90 (the target
// is 0.8), the band's width relative to its p50, and the same error of a naive projection (the spend of the month
// so far scaled to the span). One origin per series cannot measure a coverage on a file of one series, so the same
// is also reported over rolling origins: spans of `days` days ending every `origin_every_days` days back from the
// end, up to `origins` per series, each forecast only from the load before it. The file's series are one fleet
// whose bands are calibrated together (simulate::BacktestFleetSpend). Results and the JSON fields in docs/COSTS.md
// section 2.

#include <optional>
#include <string>

namespace cloudopt {

struct CostsBacktestCommand {
    std::string data;
    std::optional<double> missing_value;
    int days = 7;
    int origins = 10;  // 1: only the single origin
    int origin_every_days = 1;
    int paths = 400;
    int history_days = 28;
    bool json = false;
    // The bands calibrated on each series' own errors instead of the file's series pooled as one fleet (the default,
    // as GET /api/costs calibrates a service's resources).
    bool calibrate_per_series = false;
};

// The process exit code: 0, or 2 for bad input (the message on stderr says what to do).
int RunCostsBacktest(const CostsBacktestCommand& command);

}  // namespace cloudopt
