#pragma once
// `cloudopt costs ...` subcommands: commitments, budgets and the month's costs; `costs backtest` is in
// app/costs_backtest.hpp.

#include <optional>
#include <string>

#include "app/costs_backtest.hpp"  // CostsBacktestCommand (moved there)

namespace cloudopt {

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
