#include "store/explanation_json.hpp"

#include <cstdint>
#include <limits>
#include <type_traits>

namespace cloudopt {

nlohmann::json ExplanationToJson(const DecisionExplanation& e) {
    nlohmann::json j = {{"rule", e.rule},
                        {"quantile", e.quantile},
                        {"metric", e.metric},
                        {"lead_seconds", e.lead_seconds},
                        {"reactive_floor", e.reactive_floor},
                        {"target_utilization", e.target_utilization},
                        {"capacity_per_instance", e.capacity_per_instance},
                        {"band_correction", e.band_correction},
                        {"from", e.from},
                        {"to", e.to},
                        {"cost_before_per_hour", e.cost_before_per_hour},
                        {"cost_after_per_hour", e.cost_after_per_hour}};
    if (e.has_forecast) {
        j["forecast_peak"] = e.forecast_peak;
        j["forecast_peak_in_seconds"] = e.forecast_peak_in;
    }
    if (e.has_load) j["current_load"] = e.current_load;
    if (!e.held_by.empty()) j["held_by"] = e.held_by;
    if (!e.mix.empty()) {
        j["mix"] = e.mix;
        j["mix_cost_per_hour"] = e.mix_cost_per_hour;
    }
    return j;
}

std::string ExplanationText(const DecisionExplanation& e) {
    return ExplanationToJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

DecisionExplanation ExplanationFromJson(std::string_view text) {
    DecisionExplanation e;
    if (text.empty()) return e;
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return e;
    auto get = [&j](const char* key, auto& into) {
        auto it = j.find(key);
        if (it == j.end()) return false;
        using T = std::decay_t<decltype(into)>;
        if constexpr (std::is_same_v<T, std::string>) {
            if (!it->is_string()) return false;
            into = it->template get<T>();
        } else if constexpr (std::is_integral_v<T>) {
            // A tampered or damaged row must not reach an out-of-range conversion (undefined behaviour).
            if (!it->is_number_integer()) return false;
            const auto v = it->template get<std::int64_t>();
            if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
            into = static_cast<T>(v);
        } else {
            if (!it->is_number()) return false;
            into = it->template get<T>();
        }
        return true;
    };
    get("rule", e.rule);
    get("quantile", e.quantile);
    get("metric", e.metric);
    get("lead_seconds", e.lead_seconds);
    get("reactive_floor", e.reactive_floor);
    get("target_utilization", e.target_utilization);
    get("capacity_per_instance", e.capacity_per_instance);
    get("band_correction", e.band_correction);
    get("from", e.from);
    get("to", e.to);
    get("cost_before_per_hour", e.cost_before_per_hour);
    get("cost_after_per_hour", e.cost_after_per_hour);
    e.has_forecast = get("forecast_peak", e.forecast_peak);
    get("forecast_peak_in_seconds", e.forecast_peak_in);
    e.has_load = get("current_load", e.current_load);
    get("held_by", e.held_by);
    get("mix", e.mix);
    get("mix_cost_per_hour", e.mix_cost_per_hour);
    return e;
}

}  // namespace cloudopt
