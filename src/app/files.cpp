#include "app/files.hpp"

#include <fstream>
#include <sstream>

namespace cloudopt {

Result<std::string> ReadWholeFile(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(ErrorCode::kNotFound, what + " '" + path + "' cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace cloudopt
