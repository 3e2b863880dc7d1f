#pragma once
// A decision's explanation (core/action.hpp DecisionExplanation) as JSON: how the store keeps it and the API shows
// it, one mapping for both. Thread-safe (pure functions).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/action.hpp"

namespace cloudopt {

// Fields a rule did not use are left out (no forecast: no forecast_peak; no measurement: no current_load; no rule
// held it: no held_by; no catalog: no mix).
nlohmann::json ExplanationToJson(const DecisionExplanation& e);
// The same as text for the store; text that is not valid UTF-8 (an instance name from a Latin-1 catalog) is replaced,
// never thrown on.
std::string ExplanationText(const DecisionExplanation& e);
// Reads what ExplanationToJson wrote; text that is empty or not such an object (a row from before v10) gives the
// default explanation, never an error: an old action still lists.
DecisionExplanation ExplanationFromJson(std::string_view text);

}  // namespace cloudopt
