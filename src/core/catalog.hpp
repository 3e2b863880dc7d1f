#pragma once
// Instance types and their prices. The bundled list is data/catalog/instances.csv (source and date beside each
// row); the optimizer issue extends it, users override it in the config.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cloudopt {

struct InstanceType {
    std::string provider;  // aws, azure, gcp, kubernetes
    std::string name;      // m5.large, Standard_D2s_v5, n2-standard-2, ...
    double vcpu = 0.0;
    double memory_gib = 0.0;
    double price_per_hour = 0.0;       // on-demand, USD
    double spot_price_per_hour = 0.0;  // typical spot, USD; 0 when the cloud has none
    std::string region;
    // A 1-year, no-upfront commitment for one instance (AWS EC2 Instance Savings Plan, Azure reservation, GCP
    // resource-based CUD), as an hourly rate paid every hour of the term; 0 when none is listed. `commit_offer` names
    // the offer and its source (or that the rate is from memory) for people.
    double commit_price_per_hour = 0.0;
    std::string commit_offer = {};
};

class Catalog {
  public:
    Catalog() = default;
    explicit Catalog(std::vector<InstanceType> types) : types_(std::move(types)) {}

    // Looks a type up by name, preferring the given provider's entry; names are unique per provider.
    std::optional<InstanceType> Find(std::string_view provider, std::string_view name) const;
    // Looks up a resource's allowed-type entry: "provider/name" names one cloud's type, a bare name looks in
    // `default_provider` first.
    std::optional<InstanceType> FindEntry(std::string_view default_provider, std::string_view entry) const;
    // kUnprocessable naming the first entry the catalog does not price.
    Status CheckEntries(std::string_view default_provider, const std::vector<std::string>& entries) const;
    const std::vector<InstanceType>& types() const { return types_; }

  private:
    std::vector<InstanceType> types_;
};

// Parses the catalog CSV: a header line naming at least provider,name,vcpu,memory_gib,price_per_hour and
// optionally spot_price_per_hour,region,source,date,commit_1y_price_per_hour,commit_1y_offer (any order); '#' lines
// are comments. Errors name the line.
Result<Catalog> ParseCatalogCsv(std::string_view text);

}  // namespace cloudopt
