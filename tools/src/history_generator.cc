#include "ledger/tools/history_generator.h"

#include <random>

#include "ledger/clock.h"
#include "ledger/event_builder.h"

namespace ledger::tools {
namespace {

namespace fb = ledger::fb;
using Offset = flatbuffers::Offset<void>;

constexpr const char* kFirstNames[] = {"Ada", "Grace",    "Alan",   "Edsger",  "Barbara",
                                       "Ken", "Margaret", "Donald", "Frances", "Leslie"};
constexpr const char* kLastNames[] = {"Lovelace", "Hopper",   "Turing", "Dijkstra", "Liskov",
                                      "Thompson", "Hamilton", "Knuth",  "Allen",    "Lamport"};
constexpr const char* kTeams[] = {"Platform", "Finance", "Support"};
constexpr const char* kModels[] = {"claude-sonnet-4", "gpt-4o", "claude-haiku-4"};

// Builds one org's script; each event is appended to `out` as it is made.
class OrgScript {
 public:
  OrgScript(int index, const HistoryOptions& options, SubjectKeys& keys, std::mt19937_64& random)
      : index_(index), options_(options), keys_(keys), random_(random) {
    envelope_.org = Uuid::Random();
  }

  const Uuid& org() const { return envelope_.org; }

  Status Build(std::vector<std::string>* out) {
    out_ = out;
    Setup();
    for (int i = 0; i < options_.employees_per_org; ++i) LEDGER_RETURN_IF_ERROR(Hire(i));
    for (size_t i = 0; i < employees_.size(); ++i) LEDGER_RETURN_IF_ERROR(Request(i));
    for (size_t i = 0; i < employees_.size(); ++i) {
      for (int m = 0; m < options_.missions_per_employee; ++m) LEDGER_RETURN_IF_ERROR(Mission(i));
    }
    return Status::Ok();
  }

 private:
  struct Employee {
    std::string id;
    std::string agent_id;
  };

  template <typename Table>
  void Emit(flatbuffers::Offset<Table> payload) {
    out_->push_back(builder_.Finish(envelope_, payload));
  }
  flatbuffers::FlatBufferBuilder& fbb() { return builder_.builder(); }
  static std::string NewId() { return Uuid::Random().ToString(); }

  void Setup() {
    // Slugs are unique across the ledger: suffix the org id.
    std::string slug = "org-" + std::to_string(index_) + "-" + org().ToString().substr(0, 8);
    Emit(fb::CreateOrganizationCreatedDirect(fbb(), ("Org " + std::to_string(index_)).c_str(),
                                             slug.c_str(), "enterprise", R"({"region":"eu"})", 1000,
                                             5));
    // The billing period in force now, so that "spending against budget
    // now" (the seed's sample query) finds it.
    int64_t day = int64_t{24} * 3600 * 1'000'000;
    int64_t now = NowMicros();
    int64_t period_start = now - now % day - 7 * day;
    Emit(fb::CreateSubscriptionStartedDirect(fbb(), NewId().c_str(), nullptr, "enterprise",
                                             5'000'000'000, period_start, period_start + 30 * day));
    manager_role_ = NewId();
    member_role_ = NewId();
    Emit(fb::CreateRoleDefinedDirect(fbb(), manager_role_.c_str(), "manager", "Approves requests",
                                     R"(["approve","assign"])", true));
    Emit(fb::CreateRoleDefinedDirect(fbb(), member_role_.c_str(), "member", "Uses agents",
                                     R"(["use"])", false));
    for (const char* name : kTeams) {
      teams_.push_back(NewId());
      Emit(fb::CreateTeamCreatedDirect(fbb(), teams_.back().c_str(), name, nullptr, nullptr));
    }
    template_id_ = NewId();
    Emit(fb::CreateAgentTemplatePublishedDirect(
        fbb(), template_id_.c_str(), "code-reviewer", "coding", "Reviews pull requests",
        R"({"temperature":0})", R"(["read_repo","comment"])", "anthropic", kModels[0], false));
    std::string tool = NewId();
    Emit(fb::CreateToolRegisteredDirect(fbb(), tool.c_str(), "git", "vcs", "Git access",
                                        R"({"type":"object"})", "{}", false));
    Emit(fb::CreateTemplateToolAddedDirect(fbb(), template_id_.c_str(), tool.c_str(), "{}"));
  }

  Result<flatbuffers::Offset<fb::Sealed>> Seal(const std::string& subject,
                                               const std::string& text) {
    Result<SealedValue> sealed = keys_.Seal(*Uuid::Parse(subject), text);
    if (!sealed.ok()) return sealed.status();
    return sealed->Build(fbb());
  }

  Status Hire(int i) {
    Employee employee{NewId(), NewId()};
    std::string first = kFirstNames[random_() % std::size(kFirstNames)];
    std::string last = kLastNames[random_() % std::size(kLastNames)];
    std::string email =
        first + "." + last + std::to_string(i) + "@org" + std::to_string(index_) + ".example";
    auto sealed_email = Seal(employee.id, email);
    if (!sealed_email.ok()) return sealed_email.status();
    auto sealed_name = Seal(employee.id, first + " " + last);
    if (!sealed_name.ok()) return sealed_name.status();
    const std::string& role = i == 0 ? manager_role_ : member_role_;
    auto ids = std::array{fbb().CreateString(employee.id), fbb().CreateString(teams_[i % 3]),
                          fbb().CreateString(role)};
    Emit(fb::CreateEmployeeHired(fbb(), ids[0], ids[1], ids[2], *sealed_email, *sealed_name));
    Emit(fb::CreateEmployeeAgentAssignedDirect(fbb(), employee.agent_id.c_str(),
                                               employee.id.c_str(), template_id_.c_str(),
                                               "reviewer", R"({"tone":"brief"})"));
    employees_.push_back(std::move(employee));
    return Status::Ok();
  }

  Status Request(size_t i) {
    if (i == 0) return Status::Ok();  // the manager approves; never their own request
    const std::string& requester = employees_[i].id;
    std::string request = NewId();
    auto reason = Seal(requester, "Need a second reviewer for the release");
    if (!reason.ok()) return reason.status();
    auto ids = std::array{fbb().CreateString(request), fbb().CreateString(requester)};
    Emit(fb::CreateAgentRequestSubmitted(fbb(), ids[0], ids[1], fbb().CreateString("new_agent"),
                                         fbb().CreateString(R"({"template":"code-reviewer"})"),
                                         *reason, 1));
    if (i % 3 == 0) return Status::Ok();  // left pending
    bool approve = i % 3 == 1;
    auto comment = Seal(employees_[0].id, approve ? "Approved for Q3" : "Use the shared one");
    if (!comment.ok()) return comment.status();
    auto approval_ids = std::array{fbb().CreateString(NewId()), fbb().CreateString(request),
                                   fbb().CreateString(employees_[0].id)};
    // The engine records the resolution itself (the one approval required).
    Emit(fb::CreateApprovalRecorded(
        fbb(), approval_ids[0], approval_ids[1], approval_ids[2],
        approve ? fb::ApprovalDecision::Approve : fb::ApprovalDecision::Reject, *comment));
    return Status::Ok();
  }

  Status Mission(size_t i) {
    const Employee& employee = employees_[i];
    std::string mission = NewId();
    auto intent = Seal(employee.id, "Review the payments service changes");
    if (!intent.ok()) return intent.status();
    auto ids = std::array{fbb().CreateString(mission), fbb().CreateString(employee.id),
                          fbb().CreateString("Review release")};
    Emit(fb::CreateMissionStarted(fbb(), ids[0], ids[1], ids[2], *intent,
                                  fbb().CreateString(R"({"steps":2})")));
    std::string task = NewId();
    Emit(fb::CreateTaskCreatedDirect(fbb(), task.c_str(), mission.c_str(),
                                     employee.agent_id.c_str(), "review", R"({"pr":42})"));
    Emit(fb::CreateTaskStartedDirect(fbb(), task.c_str()));
    Emit(fb::CreateTaskCompletedDirect(fbb(), task.c_str(), R"({"comments":3})"));
    for (int u = 0; u < options_.usage_per_task; ++u) {
      int64_t tokens = 1000 + static_cast<int64_t>(random_() % 9000);
      Emit(fb::CreateUsageRecordedDirect(fbb(), NewId().c_str(), employee.id.c_str(),
                                         employee.agent_id.c_str(), mission.c_str(), task.c_str(),
                                         nullptr, fb::ResourceType::LlmInputTokens, tokens,
                                         tokens * 3, kModels[random_() % std::size(kModels)]));
    }
    Emit(fb::CreateMissionCompletedDirect(fbb(), mission.c_str()));
    return Status::Ok();
  }

  int index_;
  const HistoryOptions& options_;
  SubjectKeys& keys_;
  std::mt19937_64& random_;
  EnvelopeFields envelope_;
  EventBuilder builder_;
  std::vector<std::string>* out_ = nullptr;
  std::string manager_role_, member_role_, template_id_;
  std::vector<std::string> teams_;
  std::vector<Employee> employees_;
};

}  // namespace

Result<GeneratedHistory> GenerateHistory(const HistoryOptions& options, SubjectKeys& keys) {
  std::mt19937_64 random(options.seed);
  GeneratedHistory history;
  std::vector<std::vector<std::string>> per_org(options.orgs);
  for (int i = 0; i < options.orgs; ++i) {
    OrgScript script(i, options, keys, random);
    LEDGER_RETURN_IF_ERROR(script.Build(&per_org[i]));
    history.orgs.push_back(script.org());
  }
  // Interleave: each step takes the next event of a random org that has one,
  // so each org's order is kept and orgs mix as in a live feed.
  std::vector<size_t> next(options.orgs, 0);
  std::vector<int> live;
  for (int i = 0; i < options.orgs; ++i) live.push_back(i);
  while (!live.empty()) {
    size_t pick = random() % live.size();
    int org = live[pick];
    history.events.push_back(std::move(per_org[org][next[org]++]));
    if (next[org] == per_org[org].size()) {
      live[pick] = live.back();
      live.pop_back();
    }
  }
  return history;
}

}  // namespace ledger::tools
