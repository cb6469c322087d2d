// Helpers of the auditor tools' CLI tests (audit_*_test.cc): logs whose
// bytes a test controls, the `ledger` binary run as a child, and an
// independent base64 decoder so the tests do not check the tool with itself.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "child_process.h"
#include "ledger/event_log.h"
#include "test_util.h"

namespace ledger::testing {

// 2026-03-01T00:00:00Z: event i (1-based) of a TestLog is recorded i seconds later.
inline constexpr int64_t kLogStartMicros = 1772323200LL * 1'000'000;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `ledger args...` with output in files under `dir`.
inline CliResult RunLedger(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {LEDGER_CLI_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = dir.Sub("cli.out");
  std::string err = dir.Sub("cli.err");
  CliResult result;
  {
    Child child(argv, out, err);
    result.code = child.Wait();
  }
  result.out = FileText(out);
  result.err = FileText(err);
  return result;
}

// `count` TeamCreated events of `org`; the same strings make identical logs.
inline std::vector<std::string> TeamEvents(const Uuid& org, int count, const std::string& tag) {
  std::vector<std::string> events;
  for (int i = 1; i <= count; ++i) events.push_back(TeamEvent(org, tag + std::to_string(i)));
  return events;
}

// A log at dir/<name> (master key at <name>.master-key, where the CLI looks
// by default) holding `events`, event i recorded at kLogStartMicros + i s.
inline std::string WriteLog(const TempDir& dir, const std::string& name,
                            const std::vector<std::string>& events) {
  LogOptions options;
  options.path = dir.Sub(name);
  options.master_key_path = options.path + ".master-key";
  std::unique_ptr<EventLog> log = OpenOrDie(options);
  for (size_t i = 0; i < events.size(); ++i) {
    AppendOptions append;
    append.now = kLogStartMicros + static_cast<int64_t>(i + 1) * 1'000'000;
    std::string_view view = events[i];
    EXPECT_TRUE(log->Append(std::span(&view, 1), append).ok());
  }
  return options.path;
}

inline std::unique_ptr<EventLog> ReopenLog(const std::string& path) {
  LogOptions options;
  options.path = path;
  options.master_key_path = path + ".master-key";
  options.create_if_missing = false;
  return OpenOrDie(options);
}

// The lines of a text, without their newlines.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline const std::string kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 4648 base64 with padding.
inline std::string EncodeBase64(const std::string& bytes) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kBase64Alphabet[(n >> shift) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// RFC 4648 base64, written here so the tests share no code with the tool.
inline std::string DecodeBase64(const std::string& text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    size_t value = kBase64Alphabet.find(c);
    if (value == std::string::npos) ADD_FAILURE() << "not base64: " << c;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

}  // namespace ledger::testing
