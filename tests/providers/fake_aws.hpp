#pragma once
// What a fake AWS endpoint needs: the form body as a map, a SigV4 check that recomputes the Authorization header
// from the request as it arrived on the wire (with the secret AWS would hold), and AWS's XML answers.

#include <map>
#include <sstream>
#include <string>

#include "fake_cloud_server.hpp"
#include "providers/aws_sigv4.hpp"

namespace cloudopt::testing {

inline std::string FormDecode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

inline std::map<std::string, std::string> FormFields(const std::string& body) {
    std::map<std::string, std::string> fields;
    std::istringstream in(body);
    std::string pair;
    while (std::getline(in, pair, '&')) {
        const std::size_t eq = pair.find('=');
        fields[FormDecode(pair.substr(0, eq))] = eq == std::string::npos ? "" : FormDecode(pair.substr(eq + 1));
    }
    return fields;
}

// Recomputes the signature of `request` as AWS would: from the headers its SignedHeaders names, its X-Amz-Date,
// and the secret. Returns "" when it matches, else what differs.
inline std::string CheckSigV4(const RawRequest& request, const providers::AwsCredentials& credentials,
                              const std::string& region, const std::string& service) {
    const std::string authorization = request.Header("Authorization");
    const std::size_t sh = authorization.find("SignedHeaders=");
    if (sh == std::string::npos) return "no SignedHeaders in '" + authorization + "'";
    const std::string signed_list = authorization.substr(sh + 14, authorization.find(',', sh) - sh - 14);
    providers::HttpRequestToSign to_sign;
    to_sign.method = request.method;
    to_sign.target = request.target;
    to_sign.body = request.body;
    std::istringstream names(signed_list);
    std::string name;
    while (std::getline(names, name, ';')) {
        if (name == "x-amz-security-token") continue;  // SignV4 adds it from the credentials
        if (request.Header(name).empty()) return "signed header '" + name + "' was not sent";
        to_sign.headers.emplace_back(name, request.Header(name));
    }
    if (!credentials.session_token.empty() && request.Header("X-Amz-Security-Token") != credentials.session_token)
        return "X-Amz-Security-Token is missing or wrong";
    const auto expected = providers::SignV4(to_sign, credentials, region, service, request.Header("X-Amz-Date"));
    if (expected.authorization != authorization) return "signature mismatch: sent '" + authorization + "', expected '" + expected.authorization + "'";
    return "";
}

inline RawResponse Xml(const std::string& body, int status = 200) {
    RawResponse r;
    r.status = status;
    r.content_type = "text/xml";
    r.body = body;
    return r;
}

inline RawResponse AwsErrorXml(int status, const std::string& type, const std::string& code, const std::string& message) {
    return Xml("<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><Error><Type>" + type +
                   "</Type><Code>" + code + "</Code><Message>" + message +
                   "</Message></Error><RequestId>8d2f6b2a-0000-4000-8000-000000000000</RequestId></ErrorResponse>",
               status);
}

}  // namespace cloudopt::testing
