// ledger token: create, list and revoke the bearer tokens ledgerd accepts.
// It reads and writes only <db>/ledger-tokens (TokenStorePath) and never
// opens the database, so it works before the database exists and while
// ledgerd holds it open; ledgerd picks up a change at the next Hello.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "ledger/server/tokens.h"

namespace ledger::cli {
namespace {

using server::TokenInfo;
using server::TokenStore;

// --expires-in above this is more likely a typo than a plan; a token that
// should never expire simply has no --expires-in.
constexpr int64_t kExpiresInDaysMax = 100 * 366;
constexpr int64_t kMicrosPerSecond = 1'000'000;

struct TokenFlags {
  std::string db;
  std::string org;
  bool admin = false;
  std::string expires_in;
  std::string note;
  bool json = false;
  std::string id;
};

// "30d", "12h", "90m", "3600s" in microseconds; nullopt for anything else,
// zero included.
std::optional<int64_t> ParseDuration(const std::string& text) {
  if (text.size() < 2 || text.size() > 13) return std::nullopt;
  int64_t seconds_per_unit = 0;
  switch (text.back()) {
    case 's':
      seconds_per_unit = 1;
      break;
    case 'm':
      seconds_per_unit = 60;
      break;
    case 'h':
      seconds_per_unit = 3600;
      break;
    case 'd':
      seconds_per_unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  std::string_view digits(text.data(), text.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t count = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), count);
  int64_t seconds = count * seconds_per_unit;  // at most 10^12 * 86400: no overflow
  if (count == 0 || seconds > kExpiresInDaysMax * 86400) return std::nullopt;
  return seconds * kMicrosPerSecond;
}

// "2024-05-01T12:00:00Z", or `zero` for 0.
std::string FormatTime(int64_t micros, const char* zero) {
  if (micros == 0) return zero;
  std::time_t seconds = micros / kMicrosPerSecond;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string Scope(const TokenInfo& info) {
  return info.admin ? std::string("admin") : "org:" + info.org.ToString();
}

// A note as one harmless terminal line: control bytes become '?'.
std::string Printable(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonMicros(int64_t micros) { return micros == 0 ? "null" : std::to_string(micros); }

void PrintJson(const std::vector<TokenInfo>& tokens) {
  std::cout << "[";
  for (size_t i = 0; i < tokens.size(); ++i) {
    const TokenInfo& t = tokens[i];
    std::cout << (i == 0 ? "" : ",") << R"({"id":)" << JsonString(t.id) << R"(,"admin":)"
              << (t.admin ? "true" : "false") << R"(,"org":)"
              << (t.admin ? "null" : JsonString(t.org.ToString())) << R"(,"created_at_us":)"
              << t.created_at << R"(,"expires_at_us":)" << JsonMicros(t.expires_at)
              << R"(,"revoked_at_us":)" << JsonMicros(t.revoked_at) << R"(,"note":)"
              << JsonString(t.note) << "}";
  }
  std::cout << "]\n";
}

void PrintTable(const std::vector<TokenInfo>& tokens) {
  auto row = [](const std::string& id, const std::string& scope, const std::string& created,
                const std::string& expires, const std::string& revoked, const std::string& note) {
    std::cout << std::left << std::setw(18) << id << std::setw(42) << scope << std::setw(22)
              << created << std::setw(22) << expires << std::setw(22) << revoked << note << "\n";
  };
  row("ID", "SCOPE", "CREATED", "EXPIRES", "REVOKED", "NOTE");
  for (const TokenInfo& t : tokens) {
    row(t.id, Scope(t), FormatTime(t.created_at, "-"), FormatTime(t.expires_at, "never"),
        FormatTime(t.revoked_at, "-"), Printable(t.note));
  }
}

std::unique_ptr<TokenStore> OpenStore(const std::string& db) {
  Result<std::unique_ptr<TokenStore>> store = TokenStore::Open(server::TokenStorePath(db));
  if (!store.ok()) {
    Fail(store.status());
    return nullptr;
  }
  return std::move(store).value();
}

int RunCreate(const TokenFlags& flags) {
  if (flags.admin == !flags.org.empty()) return Fail("give exactly one of --org UUID and --admin");
  server::TokenSpec spec;
  spec.admin = flags.admin;
  if (!flags.admin && !ParseOrg(flags.org, &spec.org)) return 1;
  if (!flags.admin && spec.org.IsNil()) return Fail("--org must not be the nil UUID");
  if (!flags.expires_in.empty()) {
    std::optional<int64_t> lifetime = ParseDuration(flags.expires_in);
    if (!lifetime) {
      return Fail("--expires-in '" + flags.expires_in +
                  "' is not a duration like 30d, 12h, 90m or 3600s (at most 100 years)");
    }
    spec.expires_at = NowMicros() + *lifetime;
  }
  spec.note = flags.note;
  std::unique_ptr<TokenStore> store = OpenStore(flags.db);
  if (!store) return 1;
  Result<std::string> token = store->Create(spec);
  if (!token.ok()) return Fail(token.status());
  std::cout << *token << std::endl;
  std::cerr << "token " << token->substr(3, 16) << " for "
            << (spec.admin ? "every org (admin)" : "org " + spec.org.ToString()) << ", expires "
            << FormatTime(spec.expires_at, "never") << ": store it now, it is not shown again\n";
  return 0;
}

int RunList(const TokenFlags& flags) {
  std::unique_ptr<TokenStore> store = OpenStore(flags.db);
  if (!store) return 1;
  Result<std::vector<TokenInfo>> tokens = store->List();
  if (!tokens.ok()) return Fail(tokens.status());
  flags.json ? PrintJson(*tokens) : PrintTable(*tokens);
  return 0;
}

int RunRevoke(const TokenFlags& flags) {
  std::unique_ptr<TokenStore> store = OpenStore(flags.db);
  if (!store) return 1;
  Status revoked = store->Revoke(flags.id);
  if (!revoked.ok()) return Fail(revoked);
  std::cout << "revoked " << flags.id << "\n";
  return 0;
}

void AddStoreFlag(CLI::App* command, TokenFlags* flags) {
  command
      ->add_option("--db", flags->db,
                   "database directory; tokens live in <db>/ledger-tokens, and the "
                   "database itself need not exist yet")
      ->required();
}

}  // namespace

void AddTokenCommand(CLI::App& app) {
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* token = app.add_subcommand("token", "Create, list and revoke ledgerd bearer tokens");
  token->require_subcommand(1);

  CLI::App* create = token->add_subcommand(
      "create", "Create a token for one org (or an admin token) and print it once on stdout");
  AddStoreFlag(create, flags.get());
  create->add_option("--org", flags->org,
                     "the org the token may append to and read (UUID); "
                     "it need not exist yet");
  create->add_flag("--admin", flags->admin, "a token for every org and the global feed");
  create->add_option("--expires-in", flags->expires_in,
                     "lifetime such as 30d, 12h, 90m or 3600s (default: never expires)");
  create->add_option("--note", flags->note, "a label shown by `token list`, e.g. the service");
  create->final_callback([flags] { throw CLI::RuntimeError(RunCreate(*flags)); });

  CLI::App* list = token->add_subcommand(
      "list", "List tokens: id, scope, created, expires, revoked, note (never secrets)");
  AddStoreFlag(list, flags.get());
  list->add_flag("--json", flags->json, "print one JSON array (times in microseconds)");
  list->final_callback([flags] { throw CLI::RuntimeError(RunList(*flags)); });

  CLI::App* revoke = token->add_subcommand(
      "revoke", "Revoke a token by id; ledgerd refuses it from the next Hello on");
  AddStoreFlag(revoke, flags.get());
  revoke->add_option("id", flags->id, "the token's id (16 hex digits, as `token list` shows)")
      ->required();
  revoke->final_callback([flags] { throw CLI::RuntimeError(RunRevoke(*flags)); });
}

}  // namespace ledger::cli
