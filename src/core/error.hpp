#pragma once
// Expected failures travel as values (Result<T>), never as exceptions across module boundaries.
// The API maps each ErrorCode to one HTTP status in one table (api/error_mapping.cpp).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace cloudopt {

enum class ErrorCode {
    kInvalidArgument,       // malformed input: 400
    kUnauthenticated,       // no or invalid credentials: 401
    kPermissionDenied,      // authenticated, but the role or scope does not allow it: 403
    kNotFound,              // 404
    kMethodNotAllowed,      // 405
    kConflict,              // duplicate name, state clash: 409
    kPayloadTooLarge,       // 413
    kUnsupportedMediaType,  // 415
    kUnprocessable,         // well-formed but semantically invalid: 422
    kTooManyRequests,       // rate limit or login throttling: 429
    kUnavailable,           // a dependency (provider, store) cannot serve now: 503
    kInternal,              // a bug or an I/O failure we did not expect: 500
};

// Stable machine-readable name, used as "code" in API error bodies.
const char* ErrorCodeName(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;  // says what is wrong and, where it can, what to do about it
};

inline Error MakeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// A value or an Error. Small stand-in for std::expected (C++23), which Debian 12's g++ 12 lacks.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor): return by value
    Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    const T& value() const& {
        assert(ok());
        return std::get<T>(state_);
    }
    T& value() & {
        assert(ok());
        return std::get<T>(state_);
    }
    T&& value() && {
        assert(ok());
        return std::get<T>(std::move(state_));
    }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<Error>(state_);
    }

private:
    std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
    static Status Ok() { return Status(); }

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const {
        assert(!ok_);
        return error_;
    }

private:
    Error error_;
    bool ok_ = true;
};

}  // namespace cloudopt
