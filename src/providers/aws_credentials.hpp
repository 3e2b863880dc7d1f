#pragma once
// AWS credentials found the way the AWS CLI and SDKs find them, so a user's existing setup works unchanged:
// 1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for temporary credentials, AWS_SESSION_TOKEN;
// 2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), profile AWS_PROFILE or
//    the one the config names, else "default": aws_access_key_id, aws_secret_access_key, aws_session_token.

#include <map>
#include <string>

#include "core/error.hpp"
#include "providers/aws_sigv4.hpp"

namespace cloudopt::providers {

// The named profile of a credentials file's text (INI: [profile] sections, key = value, # or ; comments).
// kNotFound when the profile is missing; kInvalidArgument when it lacks a key id or secret.
Result<AwsCredentials> AwsCredentialsFromIni(const std::string& text, const std::string& profile);

// The chain above. `profile` overrides AWS_PROFILE when not empty. kUnavailable saying where it looked.
Result<AwsCredentials> FindAwsCredentials(const std::map<std::string, std::string>& environment,
                                          const std::string& profile = "");

}  // namespace cloudopt::providers
