#pragma once
// What GET /api/costs serves (docs/COSTS.md): for each resource, each provider and the total, the spend of the
// month so far (integrated from the cost per hour the loop records each pass) and the projection to the month's end
// with p10/p50/p90 bands (simulate/spend_forecast.hpp: the resource's load history through the planner's sizing
// and the catalog's price), per UTC day and in total. Groups are path-wise sums of their resources' paths; a group
// key is (kind, name), so budgets and labels (issue 32 items 3 and 5) add kinds, not a new shape.
// Reads the store and the loop's catalog; thread-safe as they are; run off the I/O threads (a forecast per
// resource).

#include <optional>
#include <string>
#include <vector>

#include "control/control_loop.hpp"
#include "core/error.hpp"
#include "simulate/spend_forecast.hpp"
#include "store/store.hpp"

namespace cloudopt::api {

struct CostDay {
    UnixSeconds day = 0;                // UTC midnight
    double actual = 0.0;                // spent (up to now for today, 0 for days to come)
    std::optional<SpendBand> forecast;  // the rest of the day (today) or the whole day (days to come); none before
};

struct CostGroup {
    std::string kind;  // "resource" | "provider" | "label" (name "key:value") | "total"
    std::string name;
    double actual_to_date = 0.0;
    std::optional<SpendBand> rest;       // from now to the month's end; none when no forecast could be made
    std::optional<SpendBand> month_end;  // actual_to_date + rest
    std::vector<CostDay> days;
    std::string note;  // why there is no forecast, or how much of the group has none
};

struct CostReport {
    UnixSeconds now = 0, month_start = 0, month_end = 0;
    // resources (by name), then providers (by name), then labels (by key, then value), then the total
    std::vector<CostGroup> groups;
};

struct CostReportOptions {
    int paths = 200;
    int history_days = 28;
    UnixSeconds load_step = 300;
};

// The month (UTC) holding `now`. kInternal only when the store fails.
Result<CostReport> ComputeCostReport(Store& store, const ControlLoop& loop, UnixSeconds now,
                                     const CostReportOptions& options = {});

// The UTC month [start, end) holding `t`.
std::pair<UnixSeconds, UnixSeconds> UtcMonthOf(UnixSeconds t);

}  // namespace cloudopt::api
