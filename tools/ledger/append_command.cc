// ledger append: commands from JSON lines, appended over the wire.
//
// Reads one command per line (client/json_commands.h), groups them into
// Append requests of --batch lines, keeps --pipeline requests in flight, and
// reports every line that did not make it, in line order:
//   line 7: invalid JSON: column 40: unknown field: bogus
//   line 9: rejected not_unique (code 8): slug 'acme' is used by org ...
// then a summary. Exit status 0 only if every command line was accepted.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "ledger/client/client.h"
#include "ledger/client/json_commands.h"

namespace ledger::cli {
namespace {

using Clock = std::chrono::steady_clock;

// A JSON line holds at most one 1 MiB event; even as arrays of numbers its
// byte vectors stay well under this. Longer lines are reported, not buffered.
constexpr size_t kLineBytesMax = size_t{8} << 20;

constexpr const char* kFormatHelp =
    R"(Input: one command per line, FlatBuffers JSON (schemas/command_json.fbs):
  {"event": {"envelope": {"org_id": "<uuid>", "idempotency_key": "k1"},
             "payload_type": "TeamCreated",
             "payload": {"team_id": "<uuid>", "name": "Platform"}},
   "expected_version": 3}
or the event's fields at top level (a bare ledger.fb.Event), optionally
with "expected_version" beside them. Field names are those of events.fbs and
envelope.fbs; a union is "payload_type" (the event type) plus "payload".
"expected_version" is optional (absent: no check). Blank lines and lines
starting with '#' are skipped. Personal (Sealed) fields are sent as seal
requests that ledgerd seals with its own keys (PROTOCOL.md, "Personal fields"):
  "email": {"subject_id": "<uuid>", "nonce": [24 zeros],
            "ciphertext": [<UTF-8 bytes of the text>, 16 zeros]}

Output (stderr), in line order:
  line N: invalid JSON: <FlatBuffers' message>
  line N: rejected <rule> (code 8): <message>
  line N: failed <code name> (code C): <message>
  lines A-B: failed <code name> (code C): <message>   (a whole request)
then a summary. A request that fails as a whole (connection lost, forbidden)
stops reading; its outcome may be unknown: rerun with idempotency keys.
Exit status: 0 if every command line was accepted, 1 otherwise.)";

struct AppendFlags {
  std::string connect;
  std::string token;
  std::string file = "-";
  std::string schema_dir;
  size_t batch = 500;
  size_t pipeline = 8;
  bool stop_on_error = false;
};

// One input line in a batch: a command, or why it is not one.
struct Line {
  uint64_t number = 0;
  bool invalid = false;
  std::string error;
};

struct Batch {
  std::vector<Line> lines;
  std::vector<Command> commands;  // moved into the request when sent
  std::future<Result<std::vector<CommandResult>>> results;
  bool sent = false;
};

struct Totals {
  uint64_t lines = 0;
  uint64_t commands = 0;
  uint64_t accepted = 0;
  uint64_t events = 0;  // appended, derived events included
  uint64_t replayed = 0;
  uint64_t rejected = 0;
  uint64_t invalid = 0;
  uint64_t failed = 0;
};

// Reads one line without its '\n'; false at the end of the input. A line
// over kLineBytesMax is read to its end but only its start is kept.
bool ReadLine(std::streambuf* in, std::string* line, bool* too_long) {
  line->clear();
  *too_long = false;
  int c = in->sbumpc();
  if (c == std::char_traits<char>::eof()) return false;
  while (c != std::char_traits<char>::eof() && c != '\n') {
    if (line->size() < kLineBytesMax) {
      line->push_back(static_cast<char>(c));
    } else {
      *too_long = true;
    }
    c = in->sbumpc();
  }
  return true;
}

std::string Describe(const Status& status) {
  return std::string(CodeName(status.code())) + " (code " +
         std::to_string(static_cast<int>(status.code())) + "): " + status.message();
}

// Prints outcomes and progress to stderr and keeps the totals.
class Reporter {
 public:
  explicit Reporter(Clock::time_point start) : start_(start), progress_(isatty(2) == 1) {}

  Totals& totals() { return totals_; }
  void Say(const std::string& text) {
    ClearProgress();
    std::cerr << text << "\n";
  }

  // Reports a finished batch; false if any of its lines failed.
  bool Report(Batch& batch) {
    size_t errors_before = Errors();
    Result<std::vector<CommandResult>> results =
        batch.sent ? batch.results.get() : std::vector<CommandResult>();
    if (!results.ok()) {
      Say("lines " + std::to_string(batch.lines.front().number) + "-" +
          std::to_string(batch.lines.back().number) + ": failed " + Describe(results.status()));
      for (const Line& line : batch.lines) totals_.failed += !line.invalid;
      request_failed_ = true;
    }
    size_t next = 0;
    for (const Line& line : batch.lines) {
      if (line.invalid) {
        Say("line " + std::to_string(line.number) + ": invalid JSON: " + line.error);
        ++totals_.invalid;
        continue;
      }
      if (results.ok()) Count(line, (*results)[next]);
      ++next;
    }
    return Errors() == errors_before;
  }

  void Progress(bool force = false) {
    if (!progress_) return;
    Clock::time_point now = Clock::now();
    if (!force && now - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = now;
    std::fprintf(stderr, "\r%llu lines, %llu events appended, %.0f events/s\033[K",
                 static_cast<unsigned long long>(totals_.lines),
                 static_cast<unsigned long long>(totals_.events), Rate());
    shown_ = true;
  }

  void Summary() {
    ClearProgress();
    double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    std::fprintf(stderr,
                 "%llu lines read, %llu commands: %llu accepted (%llu events appended, %llu "
                 "replayed), %llu rejected, %llu invalid, %llu failed; %.2f s, %.0f events/s\n",
                 U(totals_.lines), U(totals_.commands), U(totals_.accepted), U(totals_.events),
                 U(totals_.replayed), U(totals_.rejected), U(totals_.invalid), U(totals_.failed),
                 seconds, Rate());
  }

  uint64_t Errors() const { return totals_.rejected + totals_.invalid + totals_.failed; }
  // A request failed as a whole: the connection is gone or the token may not
  // append; later requests would fail alike.
  bool request_failed() const { return request_failed_; }

 private:
  static unsigned long long U(uint64_t value) { return value; }

  void Count(const Line& line, const CommandResult& result) {
    std::string where = "line " + std::to_string(line.number) + ": ";
    if (result.status.ok()) {
      ++totals_.accepted;
      totals_.replayed += result.replayed;
      if (!result.replayed) totals_.events += result.event_count;
    } else if (result.status.code() == Code::kRejected) {
      ++totals_.rejected;
      Say(where + "rejected " + RuleName(result.rule) + " (code 8): " + result.status.message());
    } else {
      ++totals_.failed;
      Say(where + "failed " + Describe(result.status));
    }
  }

  double Rate() const {
    double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    return seconds > 0 ? static_cast<double>(totals_.events) / seconds : 0;
  }

  void ClearProgress() {
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

  Clock::time_point start_;
  bool progress_;
  bool shown_ = false;
  Clock::time_point last_progress_{};
  Totals totals_;
  bool request_failed_ = false;
};

// Waits for the oldest batch (drawing progress meanwhile) and reports it.
bool FinishOldest(std::deque<Batch>& in_flight, Reporter& reporter) {
  Batch& oldest = in_flight.front();
  while (oldest.sent &&
         oldest.results.wait_for(std::chrono::milliseconds(250)) != std::future_status::ready) {
    reporter.Progress();
  }
  bool clean = reporter.Report(oldest);
  in_flight.pop_front();
  reporter.Progress();
  return clean;
}

int RunAppend(const AppendFlags& flags) {
  client::ClientOptions options;
  Status address = client::ParseAddress(flags.connect, &options);
  if (!address.ok()) return Fail(address);
  options.token = flags.token;
  if (options.token.empty() && std::getenv("LEDGER_TOKEN") != nullptr) {
    options.token = std::getenv("LEDGER_TOKEN");
  }
  if (options.token.empty()) return Fail("no token: pass --token or set LEDGER_TOKEN");
  options.client_name = "ledger-append";

  std::ifstream file;
  std::streambuf* input = std::cin.rdbuf();
  if (flags.file != "-") {
    file.open(flags.file, std::ios::binary);
    if (!file) return Fail("cannot open " + flags.file);
    input = file.rdbuf();
  }
  Result<std::unique_ptr<client::JsonCommandParser>> parser = client::JsonCommandParser::Create(
      flags.schema_dir.empty() ? client::DefaultSchemaDir() : flags.schema_dir);
  if (!parser.ok()) return Fail(parser.status());
  Result<std::unique_ptr<client::Client>> connected = client::Client::Connect(options);
  if (!connected.ok()) return Fail(connected.status());
  client::Client& client = **connected;

  Reporter reporter(Clock::now());
  // --stop-on-error sends one batch at a time, so nothing is sent after the
  // batch that failed.
  size_t window = flags.stop_on_error ? 0 : flags.pipeline - 1;
  std::deque<Batch> in_flight;
  Batch current;
  bool stop = false;
  auto close_batch = [&] {
    if (!current.commands.empty()) {
      current.results = client.AppendAsync(std::move(current.commands));
      current.commands.clear();
      current.sent = true;
    }
    in_flight.push_back(std::move(current));
    current = Batch();
    while (in_flight.size() > window && !in_flight.empty()) {
      bool clean = FinishOldest(in_flight, reporter);
      if (!clean && flags.stop_on_error) stop = true;
    }
  };

  std::string text;
  bool too_long = false;
  while (!stop && !reporter.request_failed() && ReadLine(input, &text, &too_long)) {
    uint64_t number = ++reporter.totals().lines;
    Result<std::optional<Command>> parsed =
        too_long ? Status::InvalidArgument("line longer than " + std::to_string(kLineBytesMax) +
                                           " bytes")
                 : (*parser)->ParseLine(text);
    if (!parsed.ok()) {
      current.lines.push_back({number, true, parsed.status().message()});
      if (flags.stop_on_error) stop = true;
    } else if (parsed->has_value()) {
      current.lines.push_back({number, false, ""});
      current.commands.push_back(std::move(**parsed));
      ++reporter.totals().commands;
    }
    if (current.lines.size() >= flags.batch || (stop && !current.lines.empty())) close_batch();
    if ((number & 1023) == 0) reporter.Progress();
  }
  if (!current.lines.empty()) close_batch();
  while (!in_flight.empty()) FinishOldest(in_flight, reporter);
  reporter.Summary();
  return reporter.Errors() == 0 ? 0 : 1;
}

}  // namespace

void AddAppendCommand(CLI::App& app) {
  auto flags = std::make_shared<AppendFlags>();
  CLI::App* command = app.add_subcommand(
      "append", "Append commands read as JSON lines to a running ledgerd, in pipelined batches");
  command->add_option("--connect", flags->connect, "ledgerd address, HOST:PORT or [IPv6]:PORT")
      ->required();
  command->add_option("--token", flags->token,
                      "bearer token (default: the LEDGER_TOKEN environment variable)");
  command->add_option("--file", flags->file, "input file; '-' (the default) reads stdin");
  command->add_option("--batch", flags->batch, "lines per Append request")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  command->add_option("--pipeline", flags->pipeline, "Append requests in flight at once")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  command->add_flag("--stop-on-error", flags->stop_on_error,
                    "stop reading at the first invalid, rejected or failed line (sends one "
                    "request at a time; the rest of that request's lines were still decided)");
  command->add_option("--schema-dir", flags->schema_dir,
                      "directory of command_json.fbs and events.fbs (default: $LEDGER_SCHEMA_DIR "
                      "or the build's schemas/)");
  command->footer(kFormatHelp);
  command->final_callback([flags] { throw CLI::RuntimeError(RunAppend(*flags)); });
}

}  // namespace ledger::cli
