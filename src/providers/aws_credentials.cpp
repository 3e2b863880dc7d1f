#include "providers/aws_credentials.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace cloudopt::providers {

namespace {

std::string Trim(const std::string& s) {
    const std::size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    const std::size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::string Get(const std::map<std::string, std::string>& env, const std::string& key) {
    auto it = env.find(key);
    return it == env.end() ? "" : it->second;
}

}  // namespace

Result<AwsCredentials> AwsCredentialsFromIni(const std::string& text, const std::string& profile) {
    std::istringstream in(text);
    std::string line, section;
    bool found = false;
    AwsCredentials c;
    while (std::getline(in, line)) {
        line = Trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[' && line.back() == ']') {
            section = Trim(line.substr(1, line.size() - 2));
            if (section == profile) found = true;
            continue;
        }
        if (section != profile) continue;
        const std::size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = Trim(line.substr(0, eq));
        const std::string value = Trim(line.substr(eq + 1));
        if (key == "aws_access_key_id") c.access_key_id = value;
        else if (key == "aws_secret_access_key") c.secret_access_key = value;
        else if (key == "aws_session_token") c.session_token = value;
    }
    if (!found) return MakeError(ErrorCode::kNotFound, "no profile [" + profile + "] in the AWS credentials file");
    if (c.access_key_id.empty() || c.secret_access_key.empty())
        return MakeError(ErrorCode::kInvalidArgument,
                         "AWS profile [" + profile + "] needs aws_access_key_id and aws_secret_access_key");
    return c;
}

Result<AwsCredentials> FindAwsCredentials(const std::map<std::string, std::string>& env, const std::string& profile) {
    const std::string key = Get(env, "AWS_ACCESS_KEY_ID"), secret = Get(env, "AWS_SECRET_ACCESS_KEY");
    if (profile.empty() && !key.empty() && !secret.empty()) return AwsCredentials{key, secret, Get(env, "AWS_SESSION_TOKEN")};

    std::string file = Get(env, "AWS_SHARED_CREDENTIALS_FILE");
    if (file.empty() && !Get(env, "HOME").empty()) file = Get(env, "HOME") + "/.aws/credentials";
    const std::string name = !profile.empty() ? profile : !Get(env, "AWS_PROFILE").empty() ? Get(env, "AWS_PROFILE") : "default";
    std::ifstream in(file);
    if (!file.empty() && in) {
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto c = AwsCredentialsFromIni(text, name);
        if (c || c.error().code != ErrorCode::kNotFound) return c;
    }
    return MakeError(ErrorCode::kUnavailable,
                     "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile [" + name +
                         "] to " + (file.empty() ? std::string("~/.aws/credentials") : file));
}

}  // namespace cloudopt::providers
