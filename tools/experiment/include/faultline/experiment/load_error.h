// The one error type of loading: an experiment, schedule or journal that
// cannot be used, with the file, the line and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace faultline::experiment {

class LoadError : public std::runtime_error {
 public:
  // what() reads "FILE:LINE: MESSAGE" (or "FILE: MESSAGE" when line is 0).
  LoadError(std::string file, int line, std::string message);

  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string file_;
  int line_;
  std::string message_;
};

}  // namespace faultline::experiment
