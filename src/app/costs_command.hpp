#pragma once
// `cloudopt costs backtest`: how good the spend forecast (simulate/spend_forecast.hpp) is on real traces. For each
// series of a trace, the spend of its last `days` days is forecast from the load before them and compared with what
// the same sizing spends on the load that came: the p50's error, whether the actual fell inside p10-p90 (the target
// is 0.8), and the same error of a naive projection (the spend of the month so far scaled to the span). Results in
// docs/COSTS.md.

#include <optional>
#include <string>

namespace cloudopt {

struct CostsBacktestCommand {
    std::string data;
    std::optional<double> missing_value;
    int days = 7;
    int paths = 400;
    int history_days = 28;
    bool json = false;
};

// The process exit code: 0, or 2 for bad input (the message on stderr says what to do).
int RunCostsBacktest(const CostsBacktestCommand& command);

// `cloudopt costs commitments`: with --data, a backtest of commitment planning (simulate/commitment_plan.hpp) on a
// trace: for each series, the commitment planned from the forecast of its scored part (the last `test_fraction`,
// as simulate scores) made from the load before it, and what that commitment saved on the load that came, beside
// the best commitment in hindsight; sized as `costs backtest` sizes, priced at the catalog's rates of
// `provider`/`instance_type`. Without --data, a running service's GET /api/costs/commitments as a table.
struct CostsCommitmentsCommand {
    std::string data;
    std::optional<double> missing_value;
    double test_fraction = 0.2;
    int paths = 400;
    std::string provider = "aws";
    std::string instance_type = "m5.large";
    std::string catalog_file;  // empty: the bundled data/catalog/instances.csv
    std::string server, token;
    bool json = false;
};
int RunCostsCommitments(const CostsCommitmentsCommand& command);

// `cloudopt budget add|list|delete` through a running service's API (/api/budgets, docs/COSTS.md "Budgets").
struct BudgetCommand {
    std::string server, token;
    std::string name;
    std::optional<double> monthly_usd;
    std::string scope = "total";
    std::string target;
    std::string cap_mode = "off";
    bool json = false;
};
int RunBudgetAdd(const BudgetCommand& command);
int RunBudgetList(const BudgetCommand& command);
int RunBudgetDelete(const BudgetCommand& command);

// `cloudopt costs` (no subcommand): a running service's month (GET /api/costs, docs/COSTS.md section 2): each group's
// spend so far and its month-end p10/p50/p90, as a table or the API's JSON (--json). `kind` (resource | provider |
// label | total) and `group_by` ("label:team") pass on to the API, which refuses bad values with a 400.
struct CostsShowCommand {
    std::string server, token;
    std::string kind, group_by;
    bool json = false;
};
int RunCostsShow(const CostsShowCommand& command);

}  // namespace cloudopt
