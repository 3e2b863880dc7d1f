// Moving trained models in and out of the service: the resource's model as a model file, and a model file's model
// installed as a resource's own.

#include <algorithm>
#include <string_view>

#include "control/control_loop.hpp"
#include "forecast/model_file.hpp"

namespace cloudopt {

Result<StoredModel> ControlLoop::ExportModel(const Resource& r) {
    auto stored = store_.LoadModel(r.id, r.load_metric);
    if (!stored) return stored.error();
    if (!*stored)
        return MakeError(ErrorCode::kNotFound, "resource '" + r.name + "' has no trained model of '" + r.load_metric +
                                                   "' yet; train it with POST /api/predictions/train");
    return std::move(**stored);
}

Result<TrainReport> ControlLoop::ImportModel(const Resource& r, std::string_view bytes, const std::string& series) {
    auto models = cloudopt::LoadModels(bytes);  // the model file reader, not ControlLoop::LoadModels
    if (!models) return MakeError(ErrorCode::kUnprocessable, models.error().message);
    if (models->empty()) return MakeError(ErrorCode::kUnprocessable, "model file: it holds no model");
    auto it = models->begin();
    if (!series.empty()) {
        it = std::find_if(models->begin(), models->end(), [&](const NamedModel& m) { return m.series == series; });
        if (it == models->end())
            return MakeError(ErrorCode::kUnprocessable, "model file: no model for series '" + series + "'");
    } else if (models->size() > 1) {
        std::string names;
        for (std::size_t i = 0; i < models->size() && i < 10; ++i) names += (i ? ", " : "") + (*models)[i].series;
        if (models->size() > 10) names += ", ...";
        return MakeError(ErrorCode::kUnprocessable, "model file: it holds " + std::to_string(models->size()) +
                                                        " models (" + names + "); name one with series=");
    }
    TrainedModel& trained = it->trained;
    // The loop forecasts on its own grid and horizon; a model for another would never be used.
    if (trained.context.step != options_.forecast_step)
        return MakeError(ErrorCode::kUnprocessable,
                         "model file: the model forecasts " + std::to_string(trained.context.step) +
                             " s steps and this service " + std::to_string(options_.forecast_step) +
                             " s steps (loop.forecast_step_seconds); train it on data at that step");
    if (trained.bands.q90.size() < static_cast<std::size_t>(options_.horizon_steps))
        return MakeError(ErrorCode::kUnprocessable,
                         "model file: the model forecasts " + std::to_string(trained.bands.q90.size()) +
                             " steps ahead and this service needs " + std::to_string(options_.horizon_steps) +
                             " (loop.horizon_steps); train it with --horizon " +
                             std::to_string(options_.horizon_steps));
    const UnixSeconds now = clock_.Now();
    TrainReport report;
    report.model = trained.chosen;
    report.bands_by = trained.bands.phase.Describe();
    report.accuracy = trained.bands.accuracy;
    // Stored as this service writes models (the current format, under the resource's name), so that an export
    // gives back a file of this version whatever version came in.
    std::vector<NamedModel> file;
    file.push_back({r.name, std::move(trained)});
    const std::string canonical = SaveModels(file);
    if (Status s = store_.SaveModel({r.id, r.load_metric, now, report.model, report.accuracy, canonical}); !s)
        return s.error();
    models_.Put(r.id, r.load_metric, {std::make_shared<const TrainedModel>(std::move(file.front().trained)), now});
    // A forecast with it now, where there is load to forecast from. A resource may get its model before its first
    // load arrives (trained offline on its history elsewhere); the loop forecasts with it once load comes.
    (void)ForecastResource(r, std::nullopt, /*reuse_fresh=*/false);
    return report;
}

}  // namespace cloudopt
