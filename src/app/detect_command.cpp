#include "app/detect_command.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "anomaly/nab_corpus.hpp"
#include "anomaly/streaming_detector.hpp"
#include "app/cli_common.hpp"

namespace cloudopt {

namespace {

int Fail(const std::string& message) {
    std::fprintf(stderr, "cloudopt detect: %s\n", message.c_str());
    return kUsageError;
}

// Every file's scores, the files shared out between the machine's cores (each series is its own detector).
std::vector<std::vector<double>> DetectAll(const std::vector<NabSeries>& series) {
    std::vector<std::vector<double>> scores(series.size());
    const std::size_t workers = std::min<std::size_t>(series.size(), std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> threads;
    for (std::size_t worker = 0; worker < workers; ++worker) {
        threads.emplace_back([&, worker] {
            for (std::size_t file_idx = worker; file_idx < series.size(); file_idx += workers) {
                // With the rows' times the detector's time-of-day channel knows the hour; without, 5-minute steps.
                const std::optional<std::vector<std::int64_t>> times = NabUnixSeconds(series[file_idx]);
                scores[file_idx] =
                    times ? DetectAnomalies(series[file_idx].values, *times) : DetectAnomalies(series[file_idx].values);
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    return scores;
}

// NAB's results file for one data file; `label` empty when the file's labels are unknown.
Status WriteResults(const std::filesystem::path& path, const NabSeries& series, const std::vector<double>& scores,
                    const std::vector<int>& label) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot create " + path.parent_path().string());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return MakeError(ErrorCode::kInvalidArgument, "cannot write " + path.string());
    out << (label.empty() ? "timestamp,value,anomaly_score\n" : "timestamp,value,anomaly_score,label\n");
    char number[64];
    for (std::size_t row = 0; row < series.values.size(); ++row) {
        out << series.timestamps[row] << ',';
        std::snprintf(number, sizeof number, "%.17g", series.values[row]);
        out << number << ',';
        std::snprintf(number, sizeof number, "%.10g", scores[row]);
        out << number;
        if (!label.empty()) out << ',' << label[row];
        out << '\n';
    }
    out.close();
    if (!out) return MakeError(ErrorCode::kInvalidArgument, "error while writing " + path.string());
    return Status::Ok();
}

}  // namespace

int RunDetect(const DetectCommand& command) {
    if (command.score && command.labels.empty()) return Fail("--score needs --labels (NAB's combined_windows.json)");
    const auto started = std::chrono::steady_clock::now();
    Result<std::vector<NabSeries>> series = ReadNabData(command.data);
    if (!series) return Fail(series.error().message);
    NabLabels labels;
    if (!command.labels.empty()) {
        Result<NabLabels> read = ReadNabLabels(command.labels);
        if (!read) return Fail(read.error().message);
        labels = std::move(read).value();
    }
    // Lay out every labelled file before detecting, so a label error is reported before any work.
    std::vector<std::vector<int>> row_labels(series->size());
    if (!command.labels.empty()) {
        for (std::size_t file_idx = 0; file_idx < series->size(); ++file_idx) {
            const NabSeries& file = (*series)[file_idx];
            Result<std::vector<NabWindow>> windows = WindowsFor(labels, file.relative_path);
            if (!windows) {
                if (command.score) return Fail(windows.error().message + " (every data file needs labels to score)");
                continue;
            }
            Result<NabFileLayout> layout = LayOutNabFile(file.timestamps, *windows);
            if (!layout) return Fail(file.relative_path + ": " + layout.error().message);
            row_labels[file_idx].resize(file.values.size());
            for (std::size_t row = 0; row < file.values.size(); ++row) {
                row_labels[file_idx][row] = layout->window_of_row[row] == NabFileLayout::kOutside ? 0 : 1;
            }
        }
    }

    const std::vector<std::vector<double>> scores = DetectAll(*series);
    const double detect_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    std::size_t points = 0;
    for (std::size_t file_idx = 0; file_idx < series->size(); ++file_idx) {
        const NabSeries& file = (*series)[file_idx];
        points += file.values.size();
        const std::filesystem::path out = std::filesystem::path(command.nab_out) / file.relative_path;
        if (Status written = WriteResults(out, file, scores[file_idx], row_labels[file_idx]); !written) {
            return Fail(written.error().message);
        }
    }
    if (!command.score) {
        std::printf("%zu file(s), %zu points scored in %.2f s; results in %s\n", series->size(), points, detect_seconds,
                    command.nab_out.c_str());
        return 0;
    }
    Result<std::array<NabProfileScore, 3>> scored = ScoreNabCorpus(*series, scores, labels);
    if (!scored) return Fail(scored.error().message);
    if (command.json) {
        nlohmann::json profiles = nlohmann::json::object();
        for (const NabProfileScore& result : *scored) {
            profiles[std::string(result.profile.name)] = {{"score", RoundTo(result.normalized, 3)},
                                                          {"threshold", result.threshold},
                                                          {"raw", RoundTo(result.raw, 4)},
                                                          {"null_raw", result.null_raw},
                                                          {"perfect_raw", RoundTo(result.perfect_raw, 4)},
                                                          {"tp_rows", result.counts.tp},
                                                          {"fp_rows", result.counts.fp},
                                                          {"fn_rows", result.counts.fn},
                                                          {"tn_rows", result.counts.tn}};
        }
        const nlohmann::json doc = {{"files", series->size()}, {"points", points}, {"profiles", profiles}};
        std::printf("%s\n", doc.dump(2).c_str());
        return 0;
    }
    std::printf("%zu file(s), %zu points scored in %.2f s; results in %s\n", series->size(), points, detect_seconds,
                command.nab_out.c_str());
    std::printf("%-20s %10s %12s %10s %8s %8s\n", "NAB profile", "score", "threshold", "raw", "TP rows", "FP rows");
    for (const NabProfileScore& result : *scored) {
        std::printf("%-20s %10.2f %12.6f %10.3f %8zu %8zu\n", std::string(result.profile.name).c_str(),
                    result.normalized, result.threshold, result.raw, result.counts.tp, result.counts.fp);
    }
    return 0;
}

}  // namespace cloudopt
