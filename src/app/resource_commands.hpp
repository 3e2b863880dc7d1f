#pragma once
// Resources from the command line, through a running service's API (so the reference is checked against the
// configured provider exactly as POST /api/resources checks it):
//   cloudopt resource add NAME --provider aws --ref us-east-1/web-asg --instance-type m5.large [--min 1] [--max 20]
//       [--mode recommend] [--capacity-per-instance 2] [--load-metric cpu_cores] [--load-query PROMQL]
//       [--boot-delay 180]
//       [--label team=payments ...]
//   cloudopt resource update NAME [--label k=v ...] [--remove-label k ...] [--mode M] [--min N] [--max N]
//   cloudopt resource list [--label team:payments]
//   cloudopt resource export-model NAME --out FILE       the resource's trained model as a model file
//   cloudopt resource import-model NAME --file FILE [--series ID]
//                                                         a model file's model (train --out) as the resource's own
// All take --server (default $CLOUDOPT_SERVER or http://localhost:8080) and --token (default $CLOUDOPT_TOKEN):
// an API token with the operator scope, or an admin's access token.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cloudopt {

struct ResourceCommand {
    std::string server;
    std::string token;
    std::string name;
    std::string provider;
    std::string ref;
    std::string instance_type;
    std::optional<int> min_capacity;
    std::optional<int> max_capacity;
    std::optional<std::string> mode;
    std::optional<double> capacity_per_instance;
    std::optional<std::string> load_metric;
    std::optional<std::string> load_query;
    std::optional<int> boot_delay_s;
    std::string model_file;                  // export-model: where to write; import-model: what to send
    std::string model_series;                // import-model: which model of a file of several
    std::vector<std::string> labels;         // add/update: "k=v" each
    std::vector<std::string> remove_labels;  // update: keys
    std::string label_selector;              // list: "team:payments"
};

int RunResourceAdd(const ResourceCommand& command);
int RunResourceList(const ResourceCommand& command);
int RunResourceUpdate(const ResourceCommand& command);

// One call to a running service's API as the resource commands make it (server and token as they resolve them:
// flags, then $CLOUDOPT_SERVER / $CLOUDOPT_TOKEN): the parsed JSON answer, or nothing with `exit_code` set (1: the
// service cannot be reached, 2: it refused the input) and the reason printed.
std::optional<nlohmann::json> CallServiceApi(const std::string& server, const std::string& token,
                                             const std::string& method, const std::string& path,
                                             const std::string& body, int& exit_code);
int RunResourceExportModel(const ResourceCommand& command);
int RunResourceImportModel(const ResourceCommand& command);

}  // namespace cloudopt
