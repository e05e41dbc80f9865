// util/log.h: the library's logger, which forwards to the host's Options::log_sink.
// Thread-safe. A null sink drops messages.
#ifndef K3_UTIL_LOG_H_
#define K3_UTIL_LOG_H_

#include <string_view>

#include "k3/options.h"

namespace k3::util {

class Logger {
 public:
  Logger() = default;
  Logger(LogSink sink, LogLevel min_level) : sink_(std::move(sink)), min_level_(min_level) {}
  void Log(LogLevel level, std::string_view message) const {
    if (sink_ && level >= min_level_) sink_(level, message);
  }
  void Warn(std::string_view message) const { Log(LogLevel::kWarning, message); }
  void Info(std::string_view message) const { Log(LogLevel::kInfo, message); }
  void Error(std::string_view message) const { Log(LogLevel::kError, message); }

 private:
  LogSink sink_;
  LogLevel min_level_ = LogLevel::kWarning;
};

}  // namespace k3::util

#endif  // K3_UTIL_LOG_H_
