// Error values for the engine: a Status or a Result<T> carrying a message that says what was wrong and where.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace dae {

// An empty message means success.
class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) {
    Status s;
    s.message_ = message.empty() ? "unknown error" : std::move(message);
    return s;
  }
  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

// Either a value or an error message; never both.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status error) : error_(std::move(error)) {}
  bool ok() const { return value_.has_value(); }
  const std::string& error() const { return error_.message(); }
  Status status() const { return ok() ? Status::Ok() : error_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status error_;
};

}  // namespace dae
