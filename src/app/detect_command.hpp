#pragma once
// `cloudopt detect`: runs the streaming anomaly detector (anomaly/streaming_detector.hpp) over a NAB-format data
// file or folder, writes NAB's results format (one CSV per data file: timestamp,value,anomaly_score[,label], at
// the same relative path under --nab-out), and with --score prints the three NAB profiles' normalized scores and
// thresholds computed by cloudopt's own NAB scorer (anomaly/nab_scorer.hpp). docs/ANOMALY.md.

#include <string>

namespace cloudopt {

struct DetectCommand {
    std::string data;     // a data file or a folder of them (NAB's data/<category>/<name>.csv)
    std::string nab_out;  // where the results go
    std::string labels;   // NAB's combined_windows.json; empty: no label column, no scoring
    bool score = false;   // print the NAB scores (needs labels)
    bool json = false;    // print them as one JSON object
};

// The process exit code: 0, or 2 for bad input (a message on stderr names the problem).
int RunDetect(const DetectCommand& command);

}  // namespace cloudopt
