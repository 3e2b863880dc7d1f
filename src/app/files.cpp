#include "app/files.hpp"

#include <cstdio>
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

Status WriteWholeFile(const std::string& path, const std::string& bytes, const std::string& what) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) return MakeError(ErrorCode::kInvalidArgument, what + " '" + path + "' cannot be written");
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            std::remove(temporary.c_str());
            return MakeError(ErrorCode::kInvalidArgument, what + " '" + path + "': write failed (disk full?)");
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        std::remove(temporary.c_str());
        return MakeError(ErrorCode::kInvalidArgument, what + " '" + path + "' cannot be replaced");
    }
    return Status::Ok();
}

}  // namespace cloudopt
