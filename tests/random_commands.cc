// The generator (random_commands.h). Layout: the org model (what was seen
// accepted), then Impl: randomness and ids, building events, views of the
// model, the weighted action tables, Next/Retry, one action per event type
// grouped by area, and the deliberate mistakes.
#include "random_commands.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <span>
#include <utility>

#include "ledger/event_builder.h"

namespace ledger::testing {
namespace {

using flatbuffers::Offset;
using SealedOffset = Offset<fb::Sealed>;

constexpr int64_t kMonth = int64_t{30} * 24 * 3600 * 1'000'000;
constexpr int64_t kEpoch = 1'767'225'600'000'000;  // 2026-01-01: the first billing period
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Areas of the catalogue; each history weighs them differently so that some
// histories go deep into one area (long workflow or approval chains).
enum Area {
  kOrgArea,
  kPeople,
  kCatalogue,
  kAgents,
  kMcp,
  kRequests,
  kWork,
  kPlatform,
  kWorkflows,
  kAreas
};

enum class Seat { kInvited, kActive, kSuspended, kOffboarded };
enum class Run { kPending, kRunning, kCompleted, kFailed, kCancelled };
enum class AgentState { kActive, kPaused, kRevoked };
enum class Flow { kDraft, kActive, kPaused, kArchived };

// The generator's view of the org: only what it saw accepted.
struct Subscription {
  std::string id;
  bool cancelled = false;
  int64_t end = 0;
};
struct Team {
  std::string id;
  bool deleted = false;
};
struct Role {
  std::string id, name;
  bool can_approve = false;
};
struct Employee {
  std::string id, role, email;
  Seat seat = Seat::kActive;
  int64_t spending = 0;
};
struct Invitation {
  std::string id, invitee;
  bool accepted = false;
};
struct Template {
  std::string id, name;
  bool is_public = false, retired = false;
};
struct Named {
  std::string id, name;
};
struct TeamPolicy {
  std::string id, team, policy;
};
struct Agent {
  std::string id, employee;
  AgentState state = AgentState::kActive;
};
struct Server {
  std::string id, name;
  bool approved = false;
};
struct McpConfig {
  std::string id, employee;
  bool removed = false;
};
struct Request {
  std::string id, employee;
  int required = 1, approvals = 0;
  std::vector<std::string> voters{};
  bool pending = true;
};
struct Mission {
  std::string id;
  Run run = Run::kRunning;
};
struct Task {
  std::string id, mission;
  Run run = Run::kPending;
  int retries = 0;
  std::vector<std::string> deps{};
};
struct Artifact {
  std::string id, sha256;
};
struct Closable {
  std::string id;
  bool closed = false;
};
struct Workflow {
  std::string id;
  uint32_t version = 1;
  Flow flow = Flow::kDraft;
};
struct Execution {
  std::string id;
  Run run = Run::kRunning;
  uint16_t steps = 0;
  std::string approval{};
};
struct Prompt {
  std::string id;
  uint32_t version = 1;
};
struct AgentTeam {
  std::string id;
  std::vector<std::string> members{};
};

template <typename T>
T* ById(std::vector<T>& items, const std::string& id) {
  for (T& item : items) {
    if (item.id == id) return &item;
  }
  return nullptr;
}

const char* Opt(const std::string& text) { return text.empty() ? nullptr : text.c_str(); }

}  // namespace

class RandomCommands::Impl {
 public:
  Impl(uint64_t seed, int length, SubjectKeys* keys, SharedCatalogue* shared)
      : seed_(seed), length_(length), rng_(seed), keys_(keys), shared_(shared) {
    org_ = *Uuid::Parse(NewId());
    short_ = org_.ToString().substr(0, 8);
    for (double& weight : area_weight_) weight = std::array{0.3, 1.0, 1.0, 3.0}[Below(4)];
    if (Chance(0.05)) delete_at_ = length_ - 1 - static_cast<int>(Below(3));
    forgetful_ = Chance(0.04);
  }

  const Uuid& org() const { return org_; }
  uint64_t seed() const { return seed_; }
  bool done() const { return emitted_ >= length_; }
  void set_keys(SubjectKeys* keys) { keys_ = keys; }

  GeneratedCommand Next();
  void Observe(const GeneratedCommand& command, const CommandResult& result) {
    if (command.org != org_ || !result.status.ok() || result.replayed) return;
    version_ += result.event_count;
    if (command.on_accept) command.on_accept();
  }

 private:
  using Maybe = std::optional<GeneratedCommand>;
  using Action = Maybe (Impl::*)();
  struct Weighted {
    Area area;
    int weight;
    Action action;
  };
  struct Keyed {
    std::string key, event;
    std::function<void()> on_accept;
  };

  // --- randomness and ids ------------------------------------------------
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  int64_t Between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(Below(static_cast<uint64_t>(high - low) + 1));
  }
  bool Chance(double p) { return static_cast<double>(rng_() >> 11) * 0x1.0p-53 < p; }
  // UUIDs from the seed, not the OS, so that a seed replays the same stream.
  std::string NewId() {
    Uuid id;
    uint64_t high = rng_(), low = rng_();
    std::memcpy(id.bytes.data(), &high, 8);
    std::memcpy(id.bytes.data() + 8, &low, 8);
    id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0f) | 0x40);
    id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);
    return id.ToString();
  }
  std::string Name(const char* kind) { return std::string(kind) + "-" + std::to_string(++names_); }
  std::string Sha256() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string sha;
    for (int i = 0; i < 64; ++i) sha.push_back(kHex[Below(16)]);
    return sha;
  }
  template <typename T, typename Pred>
  T* Pick(std::vector<T>& items, Pred pred) {
    std::vector<T*> fits;
    for (T& item : items) {
      if (pred(item)) fits.push_back(&item);
    }
    return fits.empty() ? nullptr : fits[Below(fits.size())];
  }
  template <typename T>
  T* PickAny(std::vector<T>& items) {
    return items.empty() ? nullptr : &items[Below(items.size())];
  }

  // --- building ------------------------------------------------------------
  flatbuffers::FlatBufferBuilder& B() { return builder_.builder(); }

  template <typename Table>
  GeneratedCommand Make(Offset<Table> payload, std::function<void()> on_accept = {},
                        std::optional<Rule> certain = std::nullopt) {
    GeneratedCommand out;
    out.org = envelope_.org;
    out.label = fb::EnumNamePayload(fb::PayloadTraits<Table>::enum_value);
    out.mistake = mistake_;
    out.certain = certain;
    out.on_accept = std::move(on_accept);
    out.command.event = builder_.Finish(envelope_, payload);
    return out;
  }
  // Marks the command being built as a deliberate mistake.
  void Wrong(const char* what) { mistake_ = what; }

  // A personal field sealed for `subject`. For a forgotten subject the key
  // store refuses; stand-in bytes of the right shape let the ledger refuse it.
  SealedOffset Seal(const std::string& subject, const std::string& text) {
    Uuid id = *Uuid::Parse(subject);
    Result<SealedValue> sealed = keys_->Seal(id, text);
    if (sealed.ok()) return sealed->Build(B());
    SealedValue stand_in;
    stand_in.subject = id;
    stand_in.ciphertext.assign(text.size() + 16, '\0');
    return stand_in.Build(B());
  }
  // An optional personal field: absent sometimes, and always for a subject
  // the generator saw forgotten (that is a mistake of its own kind).
  SealedOffset MaybeSeal(const std::string& subject, const std::string& text, double p = 0.6) {
    if (forgotten_.count(subject) || !Chance(p)) return 0;
    return Seal(subject, text);
  }
  std::vector<Offset<flatbuffers::String>> Strings(std::initializer_list<const char*> texts) {
    std::vector<Offset<flatbuffers::String>> out;
    for (const char* text : texts) out.push_back(B().CreateString(text));
    return out;
  }

  // --- views -----------------------------------------------------------------
  Employee* EmployeeIn(std::initializer_list<Seat> seats) {
    return Pick(employees_, [&](const Employee& e) {
      return std::find(seats.begin(), seats.end(), e.seat) != seats.end();
    });
  }
  Employee* Active() { return EmployeeIn({Seat::kActive}); }
  Employee* Seated() { return EmployeeIn({Seat::kInvited, Seat::kActive, Seat::kSuspended}); }
  uint32_t SeatHolders() const {
    return static_cast<uint32_t>(std::count_if(
        employees_.begin(), employees_.end(), [](auto& e) { return e.seat != Seat::kOffboarded; }));
  }
  uint32_t LiveAgents(const std::string& employee) const {
    return static_cast<uint32_t>(std::count_if(agents_.begin(), agents_.end(), [&](auto& a) {
      return a.employee == employee && a.state != AgentState::kRevoked;
    }));
  }
  bool CanApprove(const Employee& e) {
    Role* role = ById(roles_, e.role);
    return role && role->can_approve;
  }
  std::string LiveTeam(double p) {
    Team* team = Chance(p) ? Pick(teams_, [](const Team& t) { return !t.deleted; }) : nullptr;
    return team ? team->id : "";
  }
  std::string AnyRole(double p) {
    Role* role = Chance(p) ? PickAny(roles_) : nullptr;
    return role ? role->id : "";
  }
  Subscription* ActiveSubscription() {
    return Pick(subscriptions_, [](const Subscription& s) { return !s.cancelled; });
  }
  // Does `from` reach `to` through dependencies the generator saw accepted?
  bool Reaches(const std::string& from, const std::string& to) {
    std::vector<std::string> stack{from};
    std::set<std::string> seen;
    while (!stack.empty()) {
      std::string at = stack.back();
      stack.pop_back();
      if (at == to) return true;
      if (!seen.insert(at).second) continue;
      if (Task* task = ById(tasks_, at))
        stack.insert(stack.end(), task->deps.begin(), task->deps.end());
    }
    return false;
  }

  Maybe Choose(std::span<const Weighted> actions, bool by_area);
  Maybe Retry();

  // --- valid commands --------------------------------------------------------
  Maybe CreateOrg();
  Maybe OrgSettings();
  Maybe OrgPlan();
  Maybe OrgDelete();
  Maybe SubStart();
  Maybe SubBudget();
  Maybe SubRoll();
  Maybe SubCancel();
  Maybe TeamCreate();
  Maybe TeamRename();
  Maybe TeamDelete();
  Maybe RoleDefine();
  Maybe RolePermissions();
  Maybe Hire();
  Maybe Invite();
  Maybe Join();
  Maybe ChangeRole();
  Maybe ChangeTeam();
  Maybe Suspend();
  Maybe Reactivate();
  Maybe Offboard();
  Maybe InvitationSend();
  Maybe InvitationAccept();
  Maybe SessionStart();
  Maybe SessionEnd();
  Maybe ApiKeyIssue();
  Maybe ApiKeyRevoke();
  Maybe TemplatePublish();
  Maybe TemplateUpdate();
  Maybe TemplateRetire();
  Maybe ToolRegister();
  Maybe TemplateToolAdd();
  Maybe TemplateToolRemove();
  Maybe PolicyDefine();
  Maybe PolicyAttachTeam();
  Maybe PolicyDetachTeam();
  Maybe PolicyAttachTemplate();
  Maybe PolicyDetachTemplate();
  Maybe AgentAssign();
  Maybe AgentConfigure();
  Maybe AgentPause();
  Maybe AgentResume();
  Maybe AgentRevoke();
  Maybe McpCategoryCreate();
  Maybe McpServerRegister();
  Maybe McpServerApprove();
  Maybe McpConfigure();
  Maybe McpRemove();
  Maybe RequestSubmit();
  Maybe RequestVote();
  Maybe RequestCancel();
  Maybe RequestExpire();
  Maybe MissionStart();
  Maybe MissionEnd();
  Maybe TaskCreate();
  Maybe TaskStart();
  Maybe TaskComplete();
  Maybe TaskFail();
  Maybe TaskRetry();
  Maybe TaskDepend();
  Maybe ArtifactProduce();
  Maybe Usage();
  Maybe Activity();
  Maybe WebhookAdd();
  Maybe WebhookRemove();
  Maybe WebhookDeliver();
  Maybe PlanDefine();
  Maybe ProjectCreate();
  Maybe BlueprintPublish();
  Maybe WorkflowDefine();
  Maybe WorkflowVersion();
  Maybe WorkflowActivate();
  Maybe WorkflowPause();
  Maybe WorkflowArchive();
  Maybe ExecutionStart();
  Maybe ExecutionStep();
  Maybe ExecutionAskApproval();
  Maybe ExecutionDecide();
  Maybe ExecutionFinish();
  Maybe IntegrationConnect();
  Maybe IntegrationReport();
  Maybe PromptCreate();
  Maybe PromptVersion();
  Maybe PromptTag();
  Maybe AgentTeamCreate();
  Maybe AgentTeamAdd();
  Maybe AgentTeamRemove();
  Maybe Forget();

  // --- deliberate mistakes ---------------------------------------------------
  Maybe Garbage();
  Maybe BadEnvelope();
  Maybe UnknownType();
  Maybe EngineEmitted();
  Maybe ForeignOrg();
  Maybe OrgAgain();
  Maybe BadIdOrName();
  Maybe UnknownReference();
  Maybe UnknownActor();
  Maybe NegativeAmount();
  Maybe OutOfDomain();
  Maybe DuplicateId();
  Maybe NameTaken();
  Maybe EmailTaken();
  Maybe WrongState();
  Maybe NotLive();
  Maybe NotActive();
  Maybe SeatLimit();
  Maybe AgentLimit();
  Maybe ForeignTemplate();
  Maybe UnapprovedServer();
  Maybe BadVote();
  Maybe Overflow();
  Maybe Cycle();
  Maybe BadValue();
  Maybe ForgottenSubject();
  Maybe WrongVersion();
  Maybe ReusedKey();

  static const Weighted kValid[];
  static const Weighted kMistakes[];

  uint64_t seed_;
  int length_;
  std::mt19937_64 rng_;
  SubjectKeys* keys_;
  SharedCatalogue* shared_;
  Uuid org_;
  std::string short_, slug_;
  double area_weight_[kAreas];
  int delete_at_ = -1;
  bool forgetful_ = false;  // may forget subjects

  int emitted_ = 0;
  bool deleting_ = false;  // OrganizationDeleted was generated
  uint64_t version_ = 0;   // org_seq of the last event seen accepted
  int64_t occurred_ = kEpoch;
  int names_ = 0;
  EventBuilder builder_;
  EnvelopeFields envelope_;
  std::string mistake_;
  std::vector<Keyed> keyed_;

  uint32_t max_employees_ = 0, max_agents_ = 0;
  int64_t next_period_ = kEpoch;
  std::vector<Subscription> subscriptions_;
  std::vector<Team> teams_;
  std::vector<Role> roles_;
  std::vector<Employee> employees_;
  std::vector<Invitation> invitations_;
  std::vector<Closable> sessions_, api_keys_, webhooks_;
  std::vector<Template> templates_;
  std::vector<Named> tools_, policies_, categories_, plans_, integrations_;
  std::set<std::pair<std::string, std::string>> template_tools_, template_policies_;
  std::vector<TeamPolicy> team_policies_;
  std::vector<Agent> agents_;
  std::vector<Server> servers_;
  std::vector<McpConfig> configs_;
  std::vector<Request> requests_;
  std::vector<Mission> missions_;
  std::vector<Task> tasks_;
  std::vector<Artifact> artifacts_;
  std::vector<Workflow> workflows_;
  std::vector<Execution> executions_;
  std::vector<Prompt> prompts_;
  std::vector<AgentTeam> agent_teams_;
  std::set<std::string> forgotten_;
};

// Weights: creations and the common lifecycle steps first, destructive or
// expensive ones (offboarding, deleting, forgetting: a flush and compaction
// each) rarely.
const RandomCommands::Impl::Weighted RandomCommands::Impl::kValid[] = {
    {kOrgArea, 1, &Impl::OrgSettings},
    {kOrgArea, 1, &Impl::OrgPlan},
    {kOrgArea, 3, &Impl::SubStart},
    {kOrgArea, 1, &Impl::SubBudget},
    {kOrgArea, 2, &Impl::SubRoll},
    {kOrgArea, 1, &Impl::SubCancel},
    {kOrgArea, 1, &Impl::Forget},
    {kPeople, 3, &Impl::TeamCreate},
    {kPeople, 1, &Impl::TeamRename},
    {kPeople, 1, &Impl::TeamDelete},
    {kPeople, 3, &Impl::RoleDefine},
    {kPeople, 1, &Impl::RolePermissions},
    {kPeople, 8, &Impl::Hire},
    {kPeople, 3, &Impl::Invite},
    {kPeople, 3, &Impl::Join},
    {kPeople, 1, &Impl::ChangeRole},
    {kPeople, 1, &Impl::ChangeTeam},
    {kPeople, 2, &Impl::Suspend},
    {kPeople, 2, &Impl::Reactivate},
    {kPeople, 1, &Impl::Offboard},
    {kPeople, 2, &Impl::InvitationSend},
    {kPeople, 2, &Impl::InvitationAccept},
    {kPeople, 2, &Impl::SessionStart},
    {kPeople, 1, &Impl::SessionEnd},
    {kPeople, 1, &Impl::ApiKeyIssue},
    {kPeople, 1, &Impl::ApiKeyRevoke},
    {kCatalogue, 3, &Impl::TemplatePublish},
    {kCatalogue, 1, &Impl::TemplateUpdate},
    {kCatalogue, 1, &Impl::TemplateRetire},
    {kCatalogue, 2, &Impl::ToolRegister},
    {kCatalogue, 2, &Impl::TemplateToolAdd},
    {kCatalogue, 1, &Impl::TemplateToolRemove},
    {kCatalogue, 2, &Impl::PolicyDefine},
    {kCatalogue, 2, &Impl::PolicyAttachTeam},
    {kCatalogue, 1, &Impl::PolicyDetachTeam},
    {kCatalogue, 2, &Impl::PolicyAttachTemplate},
    {kCatalogue, 1, &Impl::PolicyDetachTemplate},
    {kAgents, 6, &Impl::AgentAssign},
    {kAgents, 1, &Impl::AgentConfigure},
    {kAgents, 2, &Impl::AgentPause},
    {kAgents, 2, &Impl::AgentResume},
    {kAgents, 1, &Impl::AgentRevoke},
    {kAgents, 2, &Impl::AgentTeamCreate},
    {kAgents, 2, &Impl::AgentTeamAdd},
    {kAgents, 1, &Impl::AgentTeamRemove},
    {kMcp, 2, &Impl::McpCategoryCreate},
    {kMcp, 3, &Impl::McpServerRegister},
    {kMcp, 2, &Impl::McpServerApprove},
    {kMcp, 3, &Impl::McpConfigure},
    {kMcp, 1, &Impl::McpRemove},
    {kRequests, 4, &Impl::RequestSubmit},
    {kRequests, 6, &Impl::RequestVote},
    {kRequests, 1, &Impl::RequestCancel},
    {kRequests, 1, &Impl::RequestExpire},
    {kWork, 4, &Impl::MissionStart},
    {kWork, 2, &Impl::MissionEnd},
    {kWork, 5, &Impl::TaskCreate},
    {kWork, 4, &Impl::TaskStart},
    {kWork, 3, &Impl::TaskComplete},
    {kWork, 2, &Impl::TaskFail},
    {kWork, 2, &Impl::TaskRetry},
    {kWork, 3, &Impl::TaskDepend},
    {kWork, 2, &Impl::ArtifactProduce},
    {kWork, 7, &Impl::Usage},
    {kWork, 2, &Impl::Activity},
    {kPlatform, 1, &Impl::WebhookAdd},
    {kPlatform, 1, &Impl::WebhookRemove},
    {kPlatform, 2, &Impl::WebhookDeliver},
    {kPlatform, 1, &Impl::PlanDefine},
    {kPlatform, 1, &Impl::ProjectCreate},
    {kPlatform, 1, &Impl::BlueprintPublish},
    {kWorkflows, 2, &Impl::WorkflowDefine},
    {kWorkflows, 1, &Impl::WorkflowVersion},
    {kWorkflows, 3, &Impl::WorkflowActivate},
    {kWorkflows, 1, &Impl::WorkflowPause},
    {kWorkflows, 1, &Impl::WorkflowArchive},
    {kWorkflows, 4, &Impl::ExecutionStart},
    {kWorkflows, 3, &Impl::ExecutionStep},
    {kWorkflows, 3, &Impl::ExecutionAskApproval},
    {kWorkflows, 6, &Impl::ExecutionDecide},
    {kWorkflows, 3, &Impl::ExecutionFinish},
    {kPlatform, 1, &Impl::IntegrationConnect},
    {kPlatform, 1, &Impl::IntegrationReport},
    {kPlatform, 1, &Impl::PromptCreate},
    {kPlatform, 1, &Impl::PromptVersion},
    {kPlatform, 1, &Impl::PromptTag},
};

const RandomCommands::Impl::Weighted RandomCommands::Impl::kMistakes[] = {
    {kOrgArea, 1, &Impl::Garbage},          {kOrgArea, 1, &Impl::BadEnvelope},
    {kOrgArea, 1, &Impl::UnknownType},      {kOrgArea, 1, &Impl::EngineEmitted},
    {kOrgArea, 1, &Impl::ForeignOrg},       {kOrgArea, 1, &Impl::OrgAgain},
    {kOrgArea, 1, &Impl::BadIdOrName},      {kOrgArea, 3, &Impl::UnknownReference},
    {kOrgArea, 1, &Impl::UnknownActor},     {kOrgArea, 2, &Impl::NegativeAmount},
    {kOrgArea, 2, &Impl::OutOfDomain},      {kOrgArea, 2, &Impl::DuplicateId},
    {kOrgArea, 2, &Impl::NameTaken},        {kOrgArea, 1, &Impl::EmailTaken},
    {kOrgArea, 4, &Impl::WrongState},       {kOrgArea, 2, &Impl::NotLive},
    {kOrgArea, 2, &Impl::NotActive},        {kOrgArea, 1, &Impl::SeatLimit},
    {kOrgArea, 1, &Impl::AgentLimit},       {kOrgArea, 1, &Impl::ForeignTemplate},
    {kOrgArea, 1, &Impl::UnapprovedServer}, {kOrgArea, 3, &Impl::BadVote},
    {kOrgArea, 1, &Impl::Overflow},         {kOrgArea, 1, &Impl::Cycle},
    {kOrgArea, 3, &Impl::BadValue},         {kOrgArea, 1, &Impl::ForgottenSubject},
    {kOrgArea, 2, &Impl::WrongVersion},     {kOrgArea, 2, &Impl::ReusedKey},
};

std::optional<GeneratedCommand> RandomCommands::Impl::Choose(std::span<const Weighted> actions,
                                                             bool by_area) {
  double total = 0;
  for (const Weighted& a : actions) total += a.weight * (by_area ? area_weight_[a.area] : 1.0);
  // Actions whose preconditions the org cannot meet yet decline; draw again,
  // with the envelope and mistake as they were.
  const EnvelopeFields envelope = envelope_;
  const std::string mistake = mistake_;
  for (int attempt = 0; attempt < 40; ++attempt) {
    envelope_ = envelope;
    mistake_ = mistake;
    double at = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
    for (const Weighted& a : actions) {
      at -= a.weight * (by_area ? area_weight_[a.area] : 1.0);
      if (at < 0) {
        if (Maybe command = (this->*a.action)()) return command;
        break;
      }
    }
  }
  return std::nullopt;
}

GeneratedCommand RandomCommands::Impl::Next() {
  int index = emitted_++;
  std::string event_id = NewId();
  occurred_ += 60'000'000;
  // An attempt that declines may have changed the envelope: start afresh.
  auto reset = [&] {
    envelope_ = EnvelopeFields{};
    envelope_.org = org_;
    envelope_.event_id = event_id;
    envelope_.occurred_at = occurred_;
    mistake_.clear();
  };
  reset();
  if (index == 0) return *CreateOrg();
  if (index == delete_at_) return *OrgDelete();
  if (deleting_) {
    // Everything after OrganizationDeleted must be refused for that reason.
    Maybe command = Choose(kValid, true);
    if (!command) command = TeamCreate();
    command->certain = Rule::kOrgDeleted;
    command->mistake = "org is deleted";
    return std::move(*command);
  }
  if (!keyed_.empty() && Chance(0.04)) {
    if (Maybe retry = Retry()) return *retry;
    reset();
  }
  if (!forgotten_.empty() && Chance(0.05)) {
    if (Maybe mistake = ForgottenSubject()) return *mistake;
    reset();
  }
  if (Chance(0.15)) {
    if (Maybe mistake = Choose(kMistakes, false)) return *mistake;
    reset();
  }
  // Plausible commands, sometimes keyed, signed by an employee or based on an
  // expected version (the version seen so far: wrong when commands of this
  // org are still in flight, and the test knows that).
  bool keyed = Chance(0.15);
  if (keyed) envelope_.idempotency_key = "key-" + short_ + "-" + std::to_string(index);
  if (Chance(0.08)) {
    if (Employee* actor = PickAny(employees_))
      envelope_.actor = {fb::ActorKind::Employee, actor->id};
  }
  Maybe command;
  if (forgetful_ && Chance(0.008)) command = Forget();
  if (!command && employees_.size() < 3 && Chance(0.3)) command = Hire();
  if (!command && roles_.size() < 2 && Chance(0.3)) command = RoleDefine();
  if (!command && !ActiveSubscription() && Chance(0.15)) command = SubStart();
  if (!command) command = Choose(kValid, true);
  if (!command) command = TeamCreate();  // always possible
  if (Chance(0.04)) {
    command->command.expected_version = version_;
    command->certain.reset();
  }
  if (keyed)
    keyed_.push_back({envelope_.idempotency_key, command->command.event, command->on_accept});
  return std::move(*command);
}

// Sends an earlier keyed command again: the same bytes, the same content in
// a new envelope, or other content under the same key.
std::optional<GeneratedCommand> RandomCommands::Impl::Retry() {
  const Keyed& old = keyed_[Below(keyed_.size())];
  GeneratedCommand out;
  out.org = org_;
  out.on_accept = old.on_accept;
  switch (Below(3)) {
    case 0:
      out.label = "retry/same-bytes";
      out.command.event = old.event;
      return out;
    case 1: {
      out.label = "retry/same-content";
      fb::EventT event;
      fb::GetEvent(old.event.data())->UnPackTo(&event);
      event.envelope->event_id = envelope_.event_id;
      event.envelope->occurred_at = envelope_.occurred_at;
      flatbuffers::FlatBufferBuilder b;
      b.Finish(fb::Event::Pack(b, &event), fb::EventIdentifier());
      out.command.event.assign(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
      return out;
    }
    default: {
      envelope_.idempotency_key = old.key;
      Wrong("idempotency key reused for other content");
      Maybe other = Choose(kValid, true);
      if (!other) return std::nullopt;
      other->label = "retry/other-content:" + other->label;
      other->certain.reset();
      return other;
    }
  }
}

// --- the org and billing -------------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::CreateOrg() {
  max_employees_ = std::array<uint32_t, 5>{0, 0, 3, 5, 8}[Below(5)];
  max_agents_ = static_cast<uint32_t>(Below(4));
  slug_ = "org-" + org_.ToString();  // unique across the ledger
  return Make(
      fb::CreateOrganizationCreatedDirect(B(), ("Org " + short_).c_str(), slug_.c_str(), "team",
                                          R"({"region":"eu"})", max_employees_, max_agents_),
      {}, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::OrgSettings() {
  std::string settings = R"({"theme":")" + Name("theme") + "\"}";
  return Make(fb::CreateOrganizationSettingsChangedDirect(B(), settings.c_str()), {}, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::OrgPlan() {
  uint32_t employees = Chance(0.3) ? 0 : SeatHolders() + 1 + static_cast<uint32_t>(Below(4));
  uint32_t agents = static_cast<uint32_t>(Below(4));
  return Make(fb::CreateOrganizationPlanChangedDirect(B(), "business", employees, agents),
              [this, employees, agents] {
                max_employees_ = employees;
                max_agents_ = agents;
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::OrgDelete() {
  deleting_ = true;
  return Make(fb::CreateOrganizationDeleted(B()), {}, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::SubStart() {
  if (ActiveSubscription()) return std::nullopt;
  std::string id = NewId();
  Named* plan = Chance(0.3) ? PickAny(plans_) : nullptr;
  int64_t start = next_period_, end = start + kMonth;
  return Make(
      fb::CreateSubscriptionStartedDirect(B(), id.c_str(), plan ? plan->id.c_str() : nullptr,
                                          "team", Between(400'000, 3'000'000), start, end),
      [this, id, end] {
        subscriptions_.push_back({id, false, end});
        next_period_ = std::max(next_period_, end);
      });
}

std::optional<GeneratedCommand> RandomCommands::Impl::SubBudget() {
  Subscription* sub = ActiveSubscription();
  if (!sub) return std::nullopt;
  return Make(
      fb::CreateSubscriptionBudgetChangedDirect(B(), sub->id.c_str(), Between(0, 2'000'000)));
}

std::optional<GeneratedCommand> RandomCommands::Impl::SubRoll() {
  Subscription* sub = ActiveSubscription();
  if (!sub) return std::nullopt;
  int64_t start = sub->end + (Chance(0.2) ? kMonth : 0), end = start + kMonth;
  return Make(fb::CreateSubscriptionBillingPeriodRolledDirect(B(), sub->id.c_str(), start, end),
              [this, id = sub->id, end] {
                ById(subscriptions_, id)->end = end;
                next_period_ = std::max(next_period_, end);
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::SubCancel() {
  Subscription* sub = ActiveSubscription();
  if (!sub) return std::nullopt;
  return Make(fb::CreateSubscriptionCancelledDirect(B(), sub->id.c_str()),
              [this, id = sub->id] { ById(subscriptions_, id)->cancelled = true; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::Forget() {
  // Only in a few histories: the ledger flushes and compacts its key store
  // for each one (tens of milliseconds), which would dominate the run time.
  if (!forgetful_) return std::nullopt;
  // The employee's own subject, or an invitee's reserved one.
  std::string subject;
  if (Employee* e = Pick(employees_, [&](auto& e) { return !forgotten_.count(e.id); })) {
    subject = e->id;
  }
  if (Invitation* i = Pick(invitations_, [&](auto& i) { return !forgotten_.count(i.invitee); })) {
    if (subject.empty() || Chance(0.2)) subject = i->invitee;
  }
  if (subject.empty()) return std::nullopt;
  return Make(fb::CreateSubjectForgottenDirect(B(), subject.c_str(), "erasure request"),
              [this, subject] { forgotten_.insert(subject); });
}

// --- people ------------------------------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::TeamCreate() {
  std::string id = NewId();
  return Make(
      fb::CreateTeamCreatedDirect(B(), id.c_str(), Name("team").c_str(), "A team", "{}"),
      [this, id] { teams_.push_back({id}); }, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::TeamRename() {
  std::string id = LiveTeam(1);
  if (id.empty()) return std::nullopt;
  return Make(fb::CreateTeamRenamedDirect(B(), id.c_str(), Name("team").c_str()));
}

std::optional<GeneratedCommand> RandomCommands::Impl::TeamDelete() {
  Team* team = Pick(teams_, [](const Team& t) { return !t.deleted; });
  if (!team) return std::nullopt;
  // Usually only an empty team (the ledger refuses one with employees); the
  // generator does not track teams of employees, so this is a guess.
  return Make(fb::CreateTeamDeletedDirect(B(), team->id.c_str()),
              [this, id = team->id] { ById(teams_, id)->deleted = true; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::RoleDefine() {
  std::string id = NewId(), name = Name("role");
  bool can_approve = roles_.empty() || Chance(0.5);
  return Make(
      fb::CreateRoleDefinedDirect(B(), id.c_str(), name.c_str(), "A role", R"(["use"])",
                                  can_approve),
      [this, id, name, can_approve] {
        roles_.push_back({id, name, can_approve});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::RolePermissions() {
  Role* role = PickAny(roles_);
  if (!role) return std::nullopt;
  bool can_approve = Chance(0.6);
  return Make(
      fb::CreateRolePermissionsChangedDirect(B(), role->id.c_str(), R"(["use","approve"])",
                                             can_approve),
      [this, id = role->id, can_approve] { ById(roles_, id)->can_approve = can_approve; },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::Hire() {
  std::string id = NewId(), team = LiveTeam(0.7), role = AnyRole(0.85);
  std::string email = Name("person") + "@" + short_ + ".example";
  SealedOffset sealed_email = Seal(id, email);
  SealedOffset full_name = MaybeSeal(id, "Person " + email, 0.8);
  return Make(fb::CreateEmployeeHiredDirect(B(), id.c_str(), Opt(team), Opt(role), sealed_email,
                                            full_name, R"({"lang":"en"})"),
              [this, id, role, email] {
                employees_.push_back({id, role, email, Seat::kActive});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::Invite() {
  std::string id = NewId(), team = LiveTeam(0.5), role = AnyRole(0.8);
  Invitation* invitation =
      Chance(0.5) ? Pick(invitations_, [](const Invitation& i) { return !i.accepted; }) : nullptr;
  std::string email = Name("invitee") + "@" + short_ + ".example";
  SealedOffset sealed_email = Seal(id, email);
  SealedOffset full_name = MaybeSeal(id, "Invitee " + email);
  return Make(fb::CreateEmployeeInvitedDirect(B(), id.c_str(),
                                              invitation ? invitation->id.c_str() : nullptr,
                                              Opt(team), Opt(role), sealed_email, full_name),
              [this, id, role, email] {
                employees_.push_back({id, role, email, Seat::kInvited});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::Join() {
  Employee* e = EmployeeIn({Seat::kInvited});
  if (!e) return std::nullopt;
  SealedOffset full_name = MaybeSeal(e->id, "Joined " + e->email, 0.4);
  return Make(fb::CreateEmployeeJoinedDirect(B(), e->id.c_str(), full_name,
                                             Chance(0.5) ? R"({"lang":"de"})" : nullptr),
              [this, id = e->id] { ById(employees_, id)->seat = Seat::kActive; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ChangeRole() {
  Employee* e = Seated();
  std::string role = AnyRole(1);
  if (!e || role.empty()) return std::nullopt;
  return Make(fb::CreateEmployeeRoleChangedDirect(B(), e->id.c_str(), role.c_str()),
              [this, id = e->id, role] { ById(employees_, id)->role = role; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ChangeTeam() {
  Employee* e = Seated();
  std::string team = LiveTeam(1);
  if (!e || team.empty()) return std::nullopt;
  return Make(fb::CreateEmployeeTeamChangedDirect(B(), e->id.c_str(), team.c_str()));
}

std::optional<GeneratedCommand> RandomCommands::Impl::Suspend() {
  Employee* e = Active();
  if (!e) return std::nullopt;
  SealedOffset reason = MaybeSeal(e->id, "Suspended pending review");
  return Make(fb::CreateEmployeeSuspendedDirect(B(), e->id.c_str(), reason),
              [this, id = e->id] { ById(employees_, id)->seat = Seat::kSuspended; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::Reactivate() {
  Employee* e = EmployeeIn({Seat::kSuspended});
  if (!e) return std::nullopt;
  return Make(fb::CreateEmployeeReactivatedDirect(B(), e->id.c_str()),
              [this, id = e->id] { ById(employees_, id)->seat = Seat::kActive; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::Offboard() {
  Employee* e = Seated();
  if (!e) return std::nullopt;
  SealedOffset reason = MaybeSeal(e->id, "Left the company", 0.5);
  // The ledger also revokes their agents and MCP configs and cancels their
  // pending requests.
  return Make(fb::CreateEmployeeOffboardedDirect(B(), e->id.c_str(), reason), [this, id = e->id] {
    ById(employees_, id)->seat = Seat::kOffboarded;
    for (Agent& a : agents_) {
      if (a.employee == id) a.state = AgentState::kRevoked;
    }
    for (McpConfig& c : configs_) {
      if (c.employee == id) c.removed = true;
    }
    for (Request& r : requests_) {
      if (r.employee == id) r.pending = false;
    }
  });
}

std::optional<GeneratedCommand> RandomCommands::Impl::InvitationSend() {
  std::string id = NewId(), invitee = NewId(), team = LiveTeam(0.5), role = AnyRole(0.5);
  Employee* by = Chance(0.5) ? Active() : nullptr;
  SealedOffset email = Seal(invitee, Name("guest") + "@" + short_ + ".example");
  return Make(
      fb::CreateInvitationSentDirect(B(), id.c_str(), email, Opt(team), Opt(role),
                                     by ? by->id.c_str() : nullptr, occurred_ + kMonth),
      [this, id, invitee] {
        invitations_.push_back({id, invitee});
      },
      // A team may be deleted by a command still in flight.
      by || !team.empty() ? std::nullopt : std::optional<Rule>(Rule::kNone));
}

std::optional<GeneratedCommand> RandomCommands::Impl::InvitationAccept() {
  Invitation* invitation = Pick(invitations_, [](const Invitation& i) { return !i.accepted; });
  Employee* e = Chance(0.8) ? EmployeeIn({Seat::kInvited}) : PickAny(employees_);
  if (!invitation || !e) return std::nullopt;
  return Make(fb::CreateInvitationAcceptedDirect(B(), invitation->id.c_str(), e->id.c_str()),
              [this, id = invitation->id] { ById(invitations_, id)->accepted = true; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::SessionStart() {
  Employee* e = Active();
  if (!e) return std::nullopt;
  std::string id = NewId();
  SealedOffset ip = MaybeSeal(e->id, "192.0.2." + std::to_string(Below(250)));
  SealedOffset agent = MaybeSeal(e->id, "Mozilla/5.0");
  return Make(fb::CreateSessionStartedDirect(B(), id.c_str(), e->id.c_str(), Sha256().c_str(), ip,
                                             agent, occurred_ + 3'600'000'000),
              [this, id] { sessions_.push_back({id}); });
}

std::optional<GeneratedCommand> RandomCommands::Impl::SessionEnd() {
  Closable* session = Pick(sessions_, [](const Closable& c) { return !c.closed; });
  if (!session) return std::nullopt;
  auto reason = static_cast<fb::SessionEndReason>(1 + Below(3));
  return Make(fb::CreateSessionEndedDirect(B(), session->id.c_str(), reason),
              [this, id = session->id] { ById(sessions_, id)->closed = true; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ApiKeyIssue() {
  std::string id = NewId(), hash = Sha256();
  Employee* owner = Chance(0.5) ? Active() : nullptr;
  auto scopes = Strings({"read", "write"});
  return Make(
      fb::CreateApiKeyIssuedDirect(B(), id.c_str(), Name("key").c_str(), hash.substr(0, 8).c_str(),
                                   hash.c_str(), &scopes, occurred_ + kMonth,
                                   owner ? owner->id.c_str() : nullptr),
      [this, id] { api_keys_.push_back({id}); },
      owner ? std::nullopt : std::optional<Rule>(Rule::kNone));
}

std::optional<GeneratedCommand> RandomCommands::Impl::ApiKeyRevoke() {
  Closable* key = Pick(api_keys_, [](const Closable& c) { return !c.closed; });
  if (!key) return std::nullopt;
  return Make(fb::CreateApiKeyRevokedDirect(B(), key->id.c_str()),
              [this, id = key->id] { ById(api_keys_, id)->closed = true; });
}

// --- templates, tools and policies -------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::TemplatePublish() {
  std::string id = NewId(), name = Name("template");
  bool is_public = Chance(0.5);
  return Make(
      fb::CreateAgentTemplatePublishedDirect(B(), id.c_str(), name.c_str(), "coding", "Writes code",
                                             R"({"temperature":0})", R"(["code"])", "anthropic",
                                             "claude", is_public),
      [this, id, name, is_public] {
        templates_.push_back({id, name, is_public});
        if (shared_) shared_->templates.push_back({id, org_, is_public, false});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::TemplateUpdate() {
  Template* t = Pick(templates_, [](const Template& t) { return !t.retired; });
  if (!t) return std::nullopt;
  std::string name = Chance(0.7) ? t->name : Name("template");
  bool is_public = Chance(0.3) ? !t->is_public : t->is_public;
  return Make(fb::CreateAgentTemplateUpdatedDirect(B(), t->id.c_str(), name.c_str(), "coding",
                                                   "Writes better code", "{}", R"(["code"])",
                                                   "anthropic", "claude", is_public),
              [this, id = t->id, name, is_public] {
                Template* mine = ById(templates_, id);
                mine->name = name;
                mine->is_public = is_public;
                if (shared_) ById(shared_->templates, id)->is_public = is_public;
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TemplateRetire() {
  Template* t = Pick(templates_, [](const Template& t) { return !t.retired; });
  if (!t) return std::nullopt;
  return Make(fb::CreateAgentTemplateRetiredDirect(B(), t->id.c_str()), [this, id = t->id] {
    ById(templates_, id)->retired = true;
    if (shared_) ById(shared_->templates, id)->retired = true;
  });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ToolRegister() {
  std::string id = NewId(), name = Name("tool");
  return Make(
      fb::CreateToolRegisteredDirect(B(), id.c_str(), name.c_str(), "vcs", "A tool",
                                     R"({"type":"object"})", "{}", Chance(0.3)),
      [this, id, name] {
        tools_.push_back({id, name});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::TemplateToolAdd() {
  Template* t = Pick(templates_, [](const Template& t) { return !t.retired; });
  Named* tool = PickAny(tools_);
  if (!t || !tool || template_tools_.count({t->id, tool->id})) return std::nullopt;
  return Make(fb::CreateTemplateToolAddedDirect(B(), t->id.c_str(), tool->id.c_str(), "{}"),
              [this, pair = std::pair(t->id, tool->id)] { template_tools_.insert(pair); });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TemplateToolRemove() {
  if (template_tools_.empty()) return std::nullopt;
  auto pair = *std::next(template_tools_.begin(), static_cast<long>(Below(template_tools_.size())));
  return Make(fb::CreateTemplateToolRemovedDirect(B(), pair.first.c_str(), pair.second.c_str()),
              [this, pair] { template_tools_.erase(pair); });
}

std::optional<GeneratedCommand> RandomCommands::Impl::PolicyDefine() {
  std::string id = NewId(), name = Name("policy");
  return Make(
      fb::CreatePolicyDefinedDirect(B(), id.c_str(), name.c_str(), "spend", R"({"max":100})",
                                    "high"),
      [this, id, name] {
        policies_.push_back({id, name});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::PolicyAttachTeam() {
  std::string team = LiveTeam(1);
  Named* policy = PickAny(policies_);
  if (team.empty() || !policy) return std::nullopt;
  for (const TeamPolicy& tp : team_policies_) {
    if (tp.team == team && tp.policy == policy->id) return std::nullopt;
  }
  std::string id = NewId();
  return Make(fb::CreatePolicyAttachedToTeamDirect(B(), id.c_str(), team.c_str(),
                                                   policy->id.c_str(), R"({"max":50})"),
              [this, id, team, p = policy->id] {
                team_policies_.push_back({id, team, p});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::PolicyDetachTeam() {
  TeamPolicy* tp = PickAny(team_policies_);
  if (!tp) return std::nullopt;
  return Make(fb::CreatePolicyDetachedFromTeamDirect(B(), tp->id.c_str(), tp->team.c_str(),
                                                     tp->policy.c_str()),
              [this, id = tp->id] {
                std::erase_if(team_policies_, [&](const TeamPolicy& t) { return t.id == id; });
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::PolicyAttachTemplate() {
  Template* t = PickAny(templates_);
  Named* policy = PickAny(policies_);
  if (!t || !policy || template_policies_.count({t->id, policy->id})) return std::nullopt;
  return Make(fb::CreatePolicyAttachedToTemplateDirect(B(), t->id.c_str(), policy->id.c_str()),
              [this, pair = std::pair(t->id, policy->id)] { template_policies_.insert(pair); });
}

std::optional<GeneratedCommand> RandomCommands::Impl::PolicyDetachTemplate() {
  if (template_policies_.empty()) return std::nullopt;
  auto pair =
      *std::next(template_policies_.begin(), static_cast<long>(Below(template_policies_.size())));
  return Make(
      fb::CreatePolicyDetachedFromTemplateDirect(B(), pair.first.c_str(), pair.second.c_str()),
      [this, pair] { template_policies_.erase(pair); });
}

// --- agents and agent teams ---------------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::AgentAssign() {
  Employee* e = Pick(employees_, [&](const Employee& e) {
    return e.seat == Seat::kActive && (max_agents_ == 0 || LiveAgents(e.id) < max_agents_);
  });
  if (!e) return std::nullopt;
  // Usually the org's own template; sometimes another org's public one.
  std::string template_id;
  if (Template* own = Pick(templates_, [](const Template& t) { return !t.retired; })) {
    template_id = own->id;
  }
  if (shared_ && (template_id.empty() || Chance(0.3))) {
    auto* other = Pick(shared_->templates, [&](const SharedCatalogue::Template& t) {
      return t.owner != org_ && t.is_public && !t.retired;
    });
    if (other) template_id = other->id;
  }
  if (template_id.empty()) return std::nullopt;
  std::string id = NewId();
  return Make(
      fb::CreateEmployeeAgentAssignedDirect(B(), id.c_str(), e->id.c_str(), template_id.c_str(),
                                            Name("agent").c_str(), R"({"tone":"brief"})"),
      [this, id, employee = e->id] {
        agents_.push_back({id, employee});
      });
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentConfigure() {
  Agent* a = Pick(agents_, [](const Agent& a) { return a.state != AgentState::kRevoked; });
  if (!a) return std::nullopt;
  return Make(
      fb::CreateEmployeeAgentConfigOverriddenDirect(B(), a->id.c_str(), R"({"tone":"long"})"));
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentPause() {
  Agent* a = Pick(agents_, [](const Agent& a) { return a.state == AgentState::kActive; });
  if (!a) return std::nullopt;
  return Make(fb::CreateEmployeeAgentPausedDirect(B(), a->id.c_str()),
              [this, id = a->id] { ById(agents_, id)->state = AgentState::kPaused; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentResume() {
  Agent* a = Pick(agents_, [](const Agent& a) { return a.state == AgentState::kPaused; });
  if (!a) return std::nullopt;
  return Make(fb::CreateEmployeeAgentResumedDirect(B(), a->id.c_str()),
              [this, id = a->id] { ById(agents_, id)->state = AgentState::kActive; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentRevoke() {
  Agent* a = Pick(agents_, [](const Agent& a) { return a.state != AgentState::kRevoked; });
  if (!a) return std::nullopt;
  return Make(fb::CreateEmployeeAgentRevokedDirect(B(), a->id.c_str()),
              [this, id = a->id] { ById(agents_, id)->state = AgentState::kRevoked; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentTeamCreate() {
  std::string id = NewId();
  return Make(
      fb::CreateAgentTeamCreatedDirect(B(), id.c_str(), Name("crew").c_str(), "Agents"),
      [this, id] { agent_teams_.push_back({id}); }, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentTeamAdd() {
  AgentTeam* team = PickAny(agent_teams_);
  if (!team) return std::nullopt;
  Agent* a = Pick(agents_, [&](const Agent& a) {
    return a.state != AgentState::kRevoked &&
           std::find(team->members.begin(), team->members.end(), a.id) == team->members.end();
  });
  if (!a) return std::nullopt;
  return Make(
      fb::CreateAgentAddedToAgentTeamDirect(B(), team->id.c_str(), a->id.c_str()),
      [this, id = team->id, agent = a->id] { ById(agent_teams_, id)->members.push_back(agent); });
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentTeamRemove() {
  AgentTeam* team = Pick(agent_teams_, [](const AgentTeam& t) { return !t.members.empty(); });
  if (!team) return std::nullopt;
  std::string agent = team->members[Below(team->members.size())];
  return Make(fb::CreateAgentRemovedFromAgentTeamDirect(B(), team->id.c_str(), agent.c_str()),
              [this, id = team->id, agent] { std::erase(ById(agent_teams_, id)->members, agent); });
}

// --- MCP ---------------------------------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::McpCategoryCreate() {
  std::string id = NewId(), name = Name("category");
  return Make(
      fb::CreateMcpCategoryCreatedDirect(B(), id.c_str(), name.c_str(), "Servers"),
      [this, id, name] {
        categories_.push_back({id, name});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::McpServerRegister() {
  std::string id = NewId(), name = Name("server");
  // Categories are never removed, so one the generator saw makes no difference.
  Named* category = Chance(0.6) ? PickAny(categories_) : nullptr;
  return Make(
      fb::CreateMcpServerRegisteredDirect(B(), id.c_str(), name.c_str(), "acme", "1.0",
                                          "An MCP server", "{}", R"(["query"])", Chance(0.5),
                                          category ? category->id.c_str() : nullptr),
      [this, id, name] {
        servers_.push_back({id, name});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::McpServerApprove() {
  Server* s = Pick(servers_, [](const Server& s) { return !s.approved; });
  if (!s) return std::nullopt;
  return Make(fb::CreateMcpServerApprovedDirect(B(), s->id.c_str()),
              [this, id = s->id] { ById(servers_, id)->approved = true; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::McpConfigure() {
  Employee* e = Active();
  Server* s = Pick(servers_, [](const Server& s) { return s.approved; });
  if (!e || !s) return std::nullopt;
  std::string id = NewId();
  return Make(fb::CreateEmployeeMcpConfiguredDirect(B(), id.c_str(), e->id.c_str(), s->id.c_str(),
                                                    "{}", "vault/mcp"),
              [this, id, employee = e->id] {
                configs_.push_back({id, employee});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::McpRemove() {
  McpConfig* c = Pick(configs_, [](const McpConfig& c) { return !c.removed; });
  if (!c) return std::nullopt;
  return Make(fb::CreateEmployeeMcpRemovedDirect(B(), c->id.c_str(), c->employee.c_str()),
              [this, id = c->id] { ById(configs_, id)->removed = true; });
}

// --- requests and votes ----------------------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::RequestSubmit() {
  Employee* e = Active();
  if (!e) return std::nullopt;
  std::string id = NewId();
  int required = Chance(0.6) ? 1 : Chance(0.75) ? 2 : 3;
  SealedOffset reason = MaybeSeal(e->id, "Need another reviewer", 0.7);
  return Make(fb::CreateAgentRequestSubmittedDirect(B(), id.c_str(), e->id.c_str(), "new_agent",
                                                    R"({"template":"reviewer"})", reason,
                                                    static_cast<uint16_t>(required)),
              [this, id, employee = e->id, required] {
                requests_.push_back({id, employee, required});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::RequestVote() {
  Request* r = Pick(requests_, [](const Request& r) { return r.pending; });
  if (!r) return std::nullopt;
  Employee* approver = Pick(employees_, [&](const Employee& e) {
    return e.seat == Seat::kActive && CanApprove(e) && e.id != r->employee &&
           std::find(r->voters.begin(), r->voters.end(), e.id) == r->voters.end();
  });
  if (!approver) return std::nullopt;
  bool approve = Chance(0.75);
  SealedOffset comment =
      MaybeSeal(approver->id, approve ? "Fine by me" : "Use the shared one", 0.5);
  auto decision = approve ? fb::ApprovalDecision::Approve : fb::ApprovalDecision::Reject;
  // One rejection resolves the request; so do enough approvals.
  return Make(fb::CreateApprovalRecordedDirect(B(), NewId().c_str(), r->id.c_str(),
                                               approver->id.c_str(), decision, comment),
              [this, id = r->id, voter = approver->id, approve] {
                Request* request = ById(requests_, id);
                request->voters.push_back(voter);
                if (!approve || ++request->approvals >= request->required) request->pending = false;
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::RequestCancel() {
  Request* r = Pick(requests_, [](const Request& r) { return r.pending; });
  if (!r) return std::nullopt;
  return Make(fb::CreateAgentRequestCancelledDirect(B(), r->id.c_str()),
              [this, id = r->id] { ById(requests_, id)->pending = false; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::RequestExpire() {
  Request* r = Pick(requests_, [](const Request& r) { return r.pending; });
  if (!r) return std::nullopt;
  return Make(fb::CreateAgentRequestExpiredDirect(B(), r->id.c_str()),
              [this, id = r->id] { ById(requests_, id)->pending = false; });
}

// --- missions, tasks, artifacts, usage -------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::MissionStart() {
  Employee* e = Active();
  if (!e) return std::nullopt;
  std::string id = NewId();
  SealedOffset intent = MaybeSeal(e->id, "Review the payments service", 0.7);
  auto title = B().CreateString(Name("mission"));
  auto plan = B().CreateString(R"({"steps":3})");
  auto mission_id = B().CreateString(id);
  auto employee_id = B().CreateString(e->id);
  return Make(fb::CreateMissionStarted(B(), mission_id, employee_id, title, intent, plan),
              [this, id] { missions_.push_back({id}); });
}

std::optional<GeneratedCommand> RandomCommands::Impl::MissionEnd() {
  Mission* m = Pick(missions_, [](const Mission& m) { return m.run == Run::kRunning; });
  if (!m) return std::nullopt;
  if (Chance(0.7)) {
    return Make(fb::CreateMissionCompletedDirect(B(), m->id.c_str()),
                [this, id = m->id] { ById(missions_, id)->run = Run::kCompleted; });
  }
  return Make(fb::CreateMissionFailedDirect(B(), m->id.c_str(), "budget exhausted"),
              [this, id = m->id] { ById(missions_, id)->run = Run::kFailed; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TaskCreate() {
  Mission* m = Pick(missions_, [](const Mission& m) { return m.run == Run::kRunning; });
  if (!m) return std::nullopt;
  Agent* a = Chance(0.5)
                 ? Pick(agents_, [](const Agent& a) { return a.state == AgentState::kActive; })
                 : nullptr;
  std::string id = NewId();
  return Make(fb::CreateTaskCreatedDirect(B(), id.c_str(), m->id.c_str(),
                                          a ? a->id.c_str() : nullptr, "review", R"({"pr":42})"),
              [this, id, mission = m->id] {
                tasks_.push_back({id, mission});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TaskStart() {
  Task* t = Pick(tasks_, [](const Task& t) { return t.run == Run::kPending; });
  if (!t) return std::nullopt;
  return Make(fb::CreateTaskStartedDirect(B(), t->id.c_str()),
              [this, id = t->id] { ById(tasks_, id)->run = Run::kRunning; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TaskComplete() {
  Task* t = Pick(tasks_, [](const Task& t) { return t.run == Run::kRunning; });
  if (!t) return std::nullopt;
  return Make(fb::CreateTaskCompletedDirect(B(), t->id.c_str(), R"({"comments":3})"),
              [this, id = t->id] { ById(tasks_, id)->run = Run::kCompleted; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TaskFail() {
  Task* t =
      Pick(tasks_, [](const Task& t) { return t.run == Run::kPending || t.run == Run::kRunning; });
  if (!t) return std::nullopt;
  return Make(fb::CreateTaskFailedDirect(B(), t->id.c_str(), "timeout"),
              [this, id = t->id] { ById(tasks_, id)->run = Run::kFailed; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TaskRetry() {
  Task* t = Pick(tasks_, [](const Task& t) { return t.run == Run::kFailed; });
  if (!t) return std::nullopt;
  int retries = t->retries + 1;
  return Make(fb::CreateTaskRetriedDirect(B(), t->id.c_str(), static_cast<uint16_t>(retries)),
              [this, id = t->id, retries] {
                Task* task = ById(tasks_, id);
                task->run = Run::kPending;
                task->retries = retries;
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::TaskDepend() {
  Task* task = PickAny(tasks_);
  Task* on = PickAny(tasks_);
  if (!task || !on || task == on) return std::nullopt;
  if (std::find(task->deps.begin(), task->deps.end(), on->id) != task->deps.end())
    return std::nullopt;
  // Mostly edges that keep the graph acyclic; sometimes whatever was drawn,
  // which attempts a cycle when the other task already depends on this one.
  bool closes_cycle = Reaches(on->id, task->id);
  if (closes_cycle && Chance(0.6)) return std::nullopt;
  if (closes_cycle) Wrong("dependency closes a cycle");
  auto type = static_cast<fb::DependencyType>(1 + Below(3));
  return Make(fb::CreateTaskDependencyAddedDirect(B(), task->id.c_str(), on->id.c_str(), type),
              [this, id = task->id, on = on->id] { ById(tasks_, id)->deps.push_back(on); });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ArtifactProduce() {
  Mission* m = PickAny(missions_);
  if (!m) return std::nullopt;
  Task* t = Chance(0.5) ? Pick(tasks_, [&](const Task& t) { return t.mission == m->id; }) : nullptr;
  std::string id = NewId(), sha = Sha256();
  return Make(fb::CreateArtifactProducedDirect(B(), id.c_str(), m->id.c_str(),
                                               t ? t->id.c_str() : nullptr, sha.c_str(), "report",
                                               "out/report.md", Between(0, 1'000'000), "{}"),
              [this, id, sha] {
                artifacts_.push_back({id, sha});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::Usage() {
  Employee* e = Chance(0.8) ? Active() : PickAny(employees_);
  if (!e) return std::nullopt;
  Agent* a =
      Chance(0.5) ? Pick(agents_, [&](const Agent& a) { return a.employee == e->id; }) : nullptr;
  Mission* m = Chance(0.4) ? PickAny(missions_) : nullptr;
  Task* t =
      m && Chance(0.5) ? Pick(tasks_, [&](const Task& t) { return t.mission == m->id; }) : nullptr;
  // Costs are large against the budgets (0.4 to 3 dollars) so that 80 % and
  // 100 % are crossed within a few records; rarely a huge one, so later
  // records approach overflow.
  int64_t cost = Chance(0.01) ? kMax / 3 : Between(0, 450'000);
  int64_t quantity = Between(0, 50'000);
  auto resource = static_cast<fb::ResourceType>(1 + Below(8));
  int64_t start = occurred_ - 60'000'000;
  return Make(fb::CreateUsageRecordedDirect(
                  B(), NewId().c_str(), e->id.c_str(), a ? a->id.c_str() : nullptr,
                  m ? m->id.c_str() : nullptr, t ? t->id.c_str() : nullptr, nullptr, resource,
                  quantity, cost, "claude", start, start + Between(0, 60'000'000), "{}",
                  static_cast<fb::TokenSource>(Below(3))),
              [this, id = e->id, cost] {
                Employee* employee = ById(employees_, id);
                employee->spending =
                    cost > kMax - employee->spending ? kMax : employee->spending + cost;
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::Activity() {
  Employee* e = PickAny(employees_);
  if (!e) return std::nullopt;
  Closable* session = Chance(0.5) ? PickAny(sessions_) : nullptr;
  SealedOffset content = MaybeSeal(e->id, "Opened the dashboard");
  return Make(fb::CreateActivityLoggedDirect(B(), NewId().c_str(), e->id.c_str(),
                                             session ? session->id.c_str() : nullptr, "cli", "1.2",
                                             "open", "ui", content, "{}"));
}

// --- platform ---------------------------------------------------------------------------

std::optional<GeneratedCommand> RandomCommands::Impl::WebhookAdd() {
  std::string id = NewId();
  auto types = Strings({"mission.completed"});
  return Make(
      fb::CreateWebhookDestinationAddedDirect(B(), id.c_str(), "https://hooks.example/x", &types,
                                              "vault/hook"),
      [this, id] { webhooks_.push_back({id}); }, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::WebhookRemove() {
  Closable* hook = Pick(webhooks_, [](const Closable& c) { return !c.closed; });
  if (!hook) return std::nullopt;
  return Make(fb::CreateWebhookDestinationRemovedDirect(B(), hook->id.c_str()),
              [this, id = hook->id] { ById(webhooks_, id)->closed = true; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::WebhookDeliver() {
  Closable* hook = Pick(webhooks_, [](const Closable& c) { return !c.closed; });
  if (!hook) return std::nullopt;
  bool success = Chance(0.7);
  return Make(fb::CreateWebhookDeliveryAttemptedDirect(
      B(), NewId().c_str(), hook->id.c_str(), NewId().c_str(), success ? 200 : 503, success,
      static_cast<uint16_t>(1 + Below(3)), static_cast<uint32_t>(Below(900)),
      success ? nullptr : "unavailable"));
}

std::optional<GeneratedCommand> RandomCommands::Impl::PlanDefine() {
  std::string id = NewId();
  return Make(
      fb::CreatePlanDefinedDirect(B(), id.c_str(), Name("plan").c_str(), "team",
                                  Between(0, 99'000'000), Between(0, 990'000'000), "{}", "{}"),
      [this, id] {
        plans_.push_back({id, ""});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::ProjectCreate() {
  Employee* owner = Chance(0.5) ? Active() : nullptr;
  return Make(
      fb::CreateProjectCreatedDirect(B(), NewId().c_str(), Name("project").c_str(), "A project",
                                     "internal", "{}", owner ? owner->id.c_str() : nullptr),
      {}, owner ? std::nullopt : std::optional<Rule>(Rule::kNone));
}

std::optional<GeneratedCommand> RandomCommands::Impl::BlueprintPublish() {
  auto pricing = static_cast<fb::PricingModel>(Below(4));
  return Make(fb::CreateBlueprintPublishedDirect(B(), NewId().c_str(), Name("blueprint").c_str(),
                                                 "A blueprint", "1.0", "{}", pricing,
                                                 Between(0, 5'000'000), Chance(0.5)),
              {}, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::WorkflowDefine() {
  std::string id = NewId();
  return Make(
      fb::CreateWorkflowDefinedDirect(B(), id.c_str(), Name("workflow").c_str(), "Flow",
                                      R"({"steps":["a","b"]})"),
      [this, id] { workflows_.push_back({id}); }, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::WorkflowVersion() {
  Workflow* w = Pick(workflows_, [](const Workflow& w) { return w.flow != Flow::kArchived; });
  if (!w) return std::nullopt;
  uint32_t version = w->version + 1;
  return Make(
      fb::CreateWorkflowVersionCreatedDirect(B(), w->id.c_str(), version, R"({"steps":["a"]})"),
      [this, id = w->id, version] { ById(workflows_, id)->version = version; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::WorkflowActivate() {
  Workflow* w = Pick(workflows_, [](const Workflow& w) {
    return w.flow == Flow::kDraft || w.flow == Flow::kPaused;
  });
  if (!w) return std::nullopt;
  return Make(fb::CreateWorkflowActivatedDirect(B(), w->id.c_str()),
              [this, id = w->id] { ById(workflows_, id)->flow = Flow::kActive; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::WorkflowPause() {
  Workflow* w = Pick(workflows_, [](const Workflow& w) { return w.flow == Flow::kActive; });
  if (!w) return std::nullopt;
  return Make(fb::CreateWorkflowPausedDirect(B(), w->id.c_str()),
              [this, id = w->id] { ById(workflows_, id)->flow = Flow::kPaused; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::WorkflowArchive() {
  Workflow* w = Pick(workflows_, [](const Workflow& w) { return w.flow != Flow::kArchived; });
  if (!w) return std::nullopt;
  return Make(fb::CreateWorkflowArchivedDirect(B(), w->id.c_str()),
              [this, id = w->id] { ById(workflows_, id)->flow = Flow::kArchived; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ExecutionStart() {
  Workflow* w = Pick(workflows_, [](const Workflow& w) { return w.flow == Flow::kActive; });
  if (!w) return std::nullopt;
  Agent* a = Chance(0.4)
                 ? Pick(agents_, [](const Agent& a) { return a.state != AgentState::kRevoked; })
                 : nullptr;
  std::string id = NewId();
  auto steps = static_cast<uint16_t>(Below(5));
  return Make(fb::CreateWorkflowExecutionStartedDirect(
                  B(), id.c_str(), w->id.c_str(), static_cast<uint32_t>(1 + Below(w->version)),
                  a ? a->id.c_str() : nullptr, "{}", "schedule", steps),
              [this, id, steps] {
                executions_.push_back({id, Run::kRunning, steps});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ExecutionStep() {
  Execution* x = Pick(executions_, [](const Execution& x) { return x.run == Run::kRunning; });
  if (!x) return std::nullopt;
  auto index = static_cast<uint16_t>(Below(x->steps == 0 ? 8 : x->steps));
  auto status = static_cast<fb::StepStatus>(1 + Below(4));
  return Make(
      fb::CreateWorkflowStepProgressedDirect(B(), x->id.c_str(), "step", index, status, "{}"));
}

std::optional<GeneratedCommand> RandomCommands::Impl::ExecutionAskApproval() {
  Execution* x = Pick(
      executions_, [](const Execution& x) { return x.run == Run::kRunning && x.approval.empty(); });
  if (!x) return std::nullopt;
  std::string approval = NewId();
  return Make(fb::CreateWorkflowApprovalRequiredDirect(
                  B(), x->id.c_str(), approval.c_str(), "deploy", "Looks safe",
                  static_cast<uint16_t>(Below(1001)), static_cast<fb::RiskLevel>(1 + Below(4)),
                  "Deploy to production"),
              [this, id = x->id, approval] { ById(executions_, id)->approval = approval; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ExecutionDecide() {
  Execution* x = Pick(executions_, [](const Execution& x) {
    return x.run == Run::kRunning && !x.approval.empty();
  });
  Employee* approver =
      Pick(employees_, [&](const Employee& e) { return e.seat == Seat::kActive && CanApprove(e); });
  if (!x || !approver) return std::nullopt;
  SealedOffset comment = MaybeSeal(approver->id, "Go ahead", 0.5);
  if (Chance(0.7)) {
    return Make(fb::CreateWorkflowExecutionApprovedDirect(B(), x->id.c_str(), x->approval.c_str(),
                                                          approver->id.c_str(), comment),
                [this, id = x->id] { ById(executions_, id)->approval.clear(); });
  }
  return Make(fb::CreateWorkflowExecutionRejectedDirect(B(), x->id.c_str(), x->approval.c_str(),
                                                        approver->id.c_str(), comment),
              [this, id = x->id] {
                Execution* execution = ById(executions_, id);
                execution->approval.clear();
                execution->run = Run::kFailed;
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::ExecutionFinish() {
  Execution* x = Pick(executions_, [](const Execution& x) { return x.run == Run::kRunning; });
  if (!x) return std::nullopt;
  switch (Below(3)) {
    case 0:
      if (!x->approval.empty()) return std::nullopt;
      return Make(
          fb::CreateWorkflowExecutionCompletedDirect(B(), x->id.c_str(), "{}", Between(0, 90'000)),
          [this, id = x->id] { ById(executions_, id)->run = Run::kCompleted; });
    case 1:
      return Make(fb::CreateWorkflowExecutionFailedDirect(B(), x->id.c_str(), "step b failed"),
                  [this, id = x->id] { ById(executions_, id)->run = Run::kFailed; });
    default: {
      Employee* by = PickAny(employees_);
      SealedOffset reason = by ? MaybeSeal(by->id, "No longer needed") : SealedOffset();
      return Make(fb::CreateWorkflowExecutionCancelled(B(), B().CreateString(x->id), reason),
                  [this, id = x->id] {
                    Execution* execution = ById(executions_, id);
                    execution->run = Run::kCancelled;
                    execution->approval.clear();
                  });
    }
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::IntegrationConnect() {
  std::string id = NewId();
  return Make(
      fb::CreateIntegrationConnectedDirect(B(), id.c_str(), "github", Name("integration").c_str(),
                                           "{}", "vault/github"),
      [this, id] {
        integrations_.push_back({id, ""});
      },
      Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::IntegrationReport() {
  Named* integration = PickAny(integrations_);
  if (!integration) return std::nullopt;
  // Integrations have no lifecycle: a known one always takes reports.
  if (Chance(0.7)) {
    return Make(fb::CreateIntegrationSyncedDirect(B(), integration->id.c_str(),
                                                  static_cast<uint32_t>(Below(500))),
                {}, Rule::kNone);
  }
  return Make(fb::CreateIntegrationFailedDirect(B(), integration->id.c_str(), "401"), {},
              Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::PromptCreate() {
  std::string id = NewId();
  auto tags = Strings({"review", "code"});
  return Make(
      fb::CreatePromptCreatedDirect(B(), id.c_str(), Name("prompt").c_str(), "Review this", &tags),
      [this, id] { prompts_.push_back({id}); }, Rule::kNone);
}

std::optional<GeneratedCommand> RandomCommands::Impl::PromptVersion() {
  Prompt* p = PickAny(prompts_);
  if (!p) return std::nullopt;
  uint32_t version = p->version + 1;
  return Make(
      fb::CreatePromptVersionCreatedDirect(B(), p->id.c_str(), version, "Review this carefully"),
      [this, id = p->id, version] { ById(prompts_, id)->version = version; });
}

std::optional<GeneratedCommand> RandomCommands::Impl::PromptTag() {
  Prompt* p = PickAny(prompts_);
  if (!p) return std::nullopt;
  auto tags = Strings({"review"});
  return Make(fb::CreatePromptTaggedDirect(B(), p->id.c_str(), &tags), {}, Rule::kNone);
}

// --- deliberate mistakes ----------------------------------------------------------------
// Each sets `certain` only when no earlier command can change the outcome.

std::optional<GeneratedCommand> RandomCommands::Impl::Garbage() {
  GeneratedCommand out;
  out.org = org_;
  out.label = "garbage";
  out.mistake = "not a FlatBuffer";
  out.certain = Rule::kMalformed;
  // A root offset far past the end: no verifier accepts it.
  out.command.event = std::string("\xff\xff\xff\x7f", 4);
  for (uint64_t i = Below(60); i > 0; --i) out.command.event.push_back(static_cast<char>(rng_()));
  return out;
}

std::optional<GeneratedCommand> RandomCommands::Impl::BadEnvelope() {
  GeneratedCommand out;
  out.org = org_;
  out.certain = Rule::kMalformed;
  flatbuffers::FlatBufferBuilder b;
  auto payload = fb::CreateTeamCreatedDirect(b, NewId().c_str(), "team").Union();
  if (Chance(0.5)) {
    out.label = "bad-org-id";
    out.mistake = "envelope org_id is not a UUID";
    auto envelope = fb::CreateEnvelopeDirect(b, "not-an-org", NewId().c_str());
    b.Finish(fb::CreateEvent(b, envelope, fb::Payload::TeamCreated, payload),
             fb::EventIdentifier());
  } else {
    out.label = "no-payload";
    out.mistake = "the event has no payload";
    auto envelope = fb::CreateEnvelopeDirect(b, org_.ToString().c_str(), NewId().c_str());
    b.Finish(fb::CreateEvent(b, envelope, fb::Payload::NONE, 0), fb::EventIdentifier());
  }
  out.command.event.assign(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  return out;
}

std::optional<GeneratedCommand> RandomCommands::Impl::UnknownType() {
  GeneratedCommand out;
  out.org = org_;
  out.label = "unknown-type";
  out.mistake = "a payload type from a newer catalogue";
  out.certain = Rule::kUnknownEventType;
  flatbuffers::FlatBufferBuilder b;
  auto payload = fb::CreateTeamCreatedDirect(b, NewId().c_str(), "team").Union();
  auto envelope = fb::CreateEnvelopeDirect(b, org_.ToString().c_str(), NewId().c_str());
  b.Finish(fb::CreateEvent(b, envelope, static_cast<fb::Payload>(200), payload),
           fb::EventIdentifier());
  out.command.event.assign(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  return out;
}

std::optional<GeneratedCommand> RandomCommands::Impl::EngineEmitted() {
  Wrong("only the engine records this");
  if (Chance(0.5)) {
    return Make(
        fb::CreateAgentRequestResolvedDirect(B(), NewId().c_str(), fb::RequestResolution::Approved),
        {}, Rule::kEngineEmitted);
  }
  return Make(fb::CreateBudgetThresholdCrossedDirect(B(), NewId().c_str(), 80, 1, 1, kEpoch), {},
              Rule::kEngineEmitted);
}

std::optional<GeneratedCommand> RandomCommands::Impl::ForeignOrg() {
  envelope_.org = *Uuid::Parse(NewId());
  if (Chance(0.5)) {
    Wrong("the org was never created");
    return Make(fb::CreateTeamCreatedDirect(B(), NewId().c_str(), "team"), {}, Rule::kNoSuchOrg);
  }
  Wrong("slug is taken by another org");
  return Make(fb::CreateOrganizationCreatedDirect(B(), "Copycat", slug_.c_str()), {},
              Rule::kNotUnique);
}

std::optional<GeneratedCommand> RandomCommands::Impl::OrgAgain() {
  Wrong("the org already exists");
  return Make(fb::CreateOrganizationCreatedDirect(B(), "Again", ("again-" + NewId()).c_str()), {},
              Rule::kOrgExists);
}

std::optional<GeneratedCommand> RandomCommands::Impl::BadIdOrName() {
  switch (Below(4)) {
    case 0:
      Wrong("team_id is not a UUID");
      return Make(fb::CreateTeamCreatedDirect(B(), Name("team").c_str(), "team"), {},
                  Rule::kMalformed);
    case 1:
      Wrong("team name is empty");
      return Make(fb::CreateTeamCreatedDirect(B(), NewId().c_str(), ""), {}, Rule::kMalformed);
    case 2:
      Wrong("workflow name is missing");
      return Make(fb::CreateWorkflowDefinedDirect(B(), NewId().c_str()), {}, Rule::kMalformed);
    default:
      Wrong("SubjectForgotten without a reason");
      return Make(fb::CreateSubjectForgottenDirect(B(), NewId().c_str(), ""), {}, Rule::kMalformed);
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::UnknownReference() {
  // A fresh id cannot exist: the first check of each of these finds nothing.
  Wrong("references an id that does not exist");
  std::string id = NewId();
  const char* c = id.c_str();
  constexpr Rule kSure = Rule::kUnknownReference;
  switch (Below(16)) {
    case 0:
      return Make(fb::CreateTeamRenamedDirect(B(), c, "x"), {}, kSure);
    case 1:
      return Make(fb::CreateEmployeeSuspendedDirect(B(), c), {}, kSure);
    case 2:
      return Make(fb::CreateEmployeeJoinedDirect(B(), c), {}, kSure);
    case 3:
      return Make(fb::CreateTaskStartedDirect(B(), c), {}, kSure);
    case 4:
      return Make(fb::CreateEmployeeAgentPausedDirect(B(), c), {}, kSure);
    case 5:
      return Make(fb::CreateApiKeyRevokedDirect(B(), c), {}, kSure);
    case 6:
      return Make(fb::CreateSessionEndedDirect(B(), c, fb::SessionEndReason::LoggedOut), {}, kSure);
    case 7:
      return Make(fb::CreateWorkflowActivatedDirect(B(), c), {}, kSure);
    case 8:
      return Make(fb::CreatePromptTaggedDirect(B(), c), {}, kSure);
    case 9:
      return Make(fb::CreateIntegrationSyncedDirect(B(), c, 1), {}, kSure);
    case 10:
      return Make(fb::CreateMcpServerApprovedDirect(B(), c), {}, kSure);
    case 11:
      return Make(fb::CreateAgentRequestCancelledDirect(B(), c), {}, kSure);
    case 12:
      return Make(fb::CreateMissionCompletedDirect(B(), c), {}, kSure);
    case 13:
      return Make(fb::CreateAgentTemplateRetiredDirect(B(), c), {}, kSure);
    case 14:
      return Make(fb::CreateSubscriptionCancelledDirect(B(), c), {}, kSure);
    default:
      return Make(fb::CreateWorkflowExecutionFailedDirect(B(), c, "x"), {}, kSure);
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::UnknownActor() {
  Wrong("the acting employee does not exist");
  envelope_.actor = {fb::ActorKind::Employee, NewId()};
  return Make(fb::CreateTeamCreatedDirect(B(), NewId().c_str(), "team"), {},
              Rule::kUnknownReference);
}

std::optional<GeneratedCommand> RandomCommands::Impl::NegativeAmount() {
  Wrong("a negative amount");
  constexpr Rule kSure = Rule::kNegativeAmount;
  int64_t negative = -Between(1, 1'000'000);
  switch (Below(5)) {
    case 0:
      return Make(
          fb::CreateUsageRecordedDirect(B(), NewId().c_str(), NewId().c_str(), nullptr, nullptr,
                                        nullptr, nullptr, fb::ResourceType::ToolCalls, 1, negative),
          {}, kSure);
    case 1:
      return Make(
          fb::CreateUsageRecordedDirect(B(), NewId().c_str(), NewId().c_str(), nullptr, nullptr,
                                        nullptr, nullptr, fb::ResourceType::ToolCalls, negative, 1),
          {}, kSure);
    case 2:
      return Make(fb::CreatePlanDefinedDirect(B(), NewId().c_str(), "cheap", "team", 0, negative),
                  {}, kSure);
    case 3:
      return Make(fb::CreateBlueprintPublishedDirect(B(), NewId().c_str(), "bp", nullptr, nullptr,
                                                     nullptr, fb::PricingModel::OneTime, negative),
                  {}, kSure);
    default:
      return Make(fb::CreateSubscriptionStartedDirect(B(), NewId().c_str(), nullptr, "team",
                                                      negative, kEpoch, kEpoch + kMonth),
                  {}, kSure);
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::OutOfDomain() {
  constexpr Rule kSure = Rule::kInvalidValue;
  switch (Below(3)) {
    case 0:
      Wrong("usage without a resource type");
      return Make(
          fb::CreateUsageRecordedDirect(B(), NewId().c_str(), NewId().c_str(), nullptr, nullptr,
                                        nullptr, nullptr, fb::ResourceType::Unknown, 1, 1),
          {}, kSure);
    case 1:
      Wrong("usage period ends before it starts");
      return Make(fb::CreateUsageRecordedDirect(
                      B(), NewId().c_str(), NewId().c_str(), nullptr, nullptr, nullptr, nullptr,
                      fb::ResourceType::AgentRuns, 1, 1, nullptr, kEpoch, kEpoch - 1),
                  {}, kSure);
    default:
      Wrong("billing period ends before it starts");
      return Make(fb::CreateSubscriptionStartedDirect(B(), NewId().c_str(), nullptr, "team", 1,
                                                      kEpoch, kEpoch),
                  {}, kSure);
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::DuplicateId() {
  // These kinds are never removed from the org, and the id check comes first.
  Wrong("the new entity's id is taken");
  constexpr Rule kSure = Rule::kDuplicateId;
  switch (Below(7)) {
    case 0:
      if (Team* t = PickAny(teams_))
        return Make(fb::CreateTeamCreatedDirect(B(), t->id.c_str(), "dup"), {}, kSure);
      return std::nullopt;
    case 1:
      if (Employee* e = PickAny(employees_)) {
        SealedOffset email = Seal(e->id, "dup@" + short_ + ".example");
        auto id = B().CreateString(e->id);
        return Make(fb::CreateEmployeeHired(B(), id, 0, 0, email), {}, kSure);
      }
      return std::nullopt;
    case 2:
      if (Named* t = PickAny(tools_))
        return Make(fb::CreateToolRegisteredDirect(B(), t->id.c_str(), "dup"), {}, kSure);
      return std::nullopt;
    case 3:
      if (Mission* m = PickAny(missions_)) {
        return Make(fb::CreateMissionStartedDirect(B(), m->id.c_str(), NewId().c_str(), "dup"), {},
                    kSure);
      }
      return std::nullopt;
    case 4:
      if (Task* t = PickAny(tasks_)) {
        return Make(fb::CreateTaskCreatedDirect(B(), t->id.c_str(), t->mission.c_str()), {}, kSure);
      }
      return std::nullopt;
    case 5:
      if (Workflow* w = PickAny(workflows_)) {
        return Make(fb::CreateWorkflowDefinedDirect(B(), w->id.c_str(), "dup"), {}, kSure);
      }
      return std::nullopt;
    default: {
      // Another org's template: ids are unique across the ledger.
      if (!shared_) return std::nullopt;
      auto* other = Pick(shared_->templates, [&](auto& t) { return t.owner != org_; });
      if (!other) return std::nullopt;
      return Make(
          fb::CreateAgentTemplatePublishedDirect(B(), other->id.c_str(), Name("template").c_str()),
          {}, kSure);
    }
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::NameTaken() {
  // Roles, tools, policies, categories and servers are never renamed.
  Wrong("the name is taken");
  constexpr Rule kSure = Rule::kNotUnique;
  std::string id = NewId();
  switch (Below(6)) {
    case 0:
      if (Role* r = PickAny(roles_))
        return Make(fb::CreateRoleDefinedDirect(B(), id.c_str(), r->name.c_str()), {}, kSure);
      return std::nullopt;
    case 1:
      if (Named* t = PickAny(tools_))
        return Make(fb::CreateToolRegisteredDirect(B(), id.c_str(), t->name.c_str()), {}, kSure);
      return std::nullopt;
    case 2:
      if (Named* p = PickAny(policies_))
        return Make(fb::CreatePolicyDefinedDirect(B(), id.c_str(), p->name.c_str()), {}, kSure);
      return std::nullopt;
    case 3:
      if (Named* c = PickAny(categories_))
        return Make(fb::CreateMcpCategoryCreatedDirect(B(), id.c_str(), c->name.c_str()), {},
                    kSure);
      return std::nullopt;
    case 4:
      if (Server* s = PickAny(servers_))
        return Make(fb::CreateMcpServerRegisteredDirect(B(), id.c_str(), s->name.c_str()), {},
                    kSure);
      return std::nullopt;
    default: {
      // The same content twice; the mission exists and no task is named.
      Artifact* a = PickAny(artifacts_);
      Mission* m = PickAny(missions_);
      if (!a || !m) return std::nullopt;
      return Make(fb::CreateArtifactProducedDirect(B(), id.c_str(), m->id.c_str(), nullptr,
                                                   a->sha256.c_str()),
                  {}, kSure);
    }
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::EmailTaken() {
  Employee* holder = Seated();
  if (!holder) return std::nullopt;
  Wrong("the email is used by another employee");
  std::string id = NewId();
  SealedOffset email = Seal(id, holder->email);
  auto id_offset = B().CreateString(id);
  return Make(fb::CreateEmployeeHired(B(), id_offset, 0, 0, email),
              [this, id, email = holder->email] {
                employees_.push_back({id, "", email, Seat::kActive});
              });
}

std::optional<GeneratedCommand> RandomCommands::Impl::WrongState() {
  Wrong("the entity is not in a state that allows this");
  switch (Below(12)) {
    case 0:
      if (Task* t = Pick(tasks_, [](const Task& t) { return t.run != Run::kPending; })) {
        return Make(fb::CreateTaskStartedDirect(B(), t->id.c_str()));
      }
      return std::nullopt;
    case 1:
      if (Task* t = Pick(tasks_, [](const Task& t) { return t.run != Run::kRunning; })) {
        return Make(fb::CreateTaskCompletedDirect(B(), t->id.c_str()));
      }
      return std::nullopt;
    case 2:
      if (Agent* a = Pick(agents_, [](const Agent& a) { return a.state == AgentState::kActive; })) {
        return Make(fb::CreateEmployeeAgentResumedDirect(B(), a->id.c_str()));
      }
      return std::nullopt;
    case 3:
      if (Server* s = Pick(servers_, [](const Server& s) { return s.approved; })) {
        return Make(fb::CreateMcpServerApprovedDirect(B(), s->id.c_str()));
      }
      return std::nullopt;
    case 4:
      if (Employee* e = EmployeeIn({Seat::kActive, Seat::kOffboarded})) {
        return Make(fb::CreateEmployeeReactivatedDirect(B(), e->id.c_str()));
      }
      return std::nullopt;
    case 5:
      if (Employee* e = EmployeeIn({Seat::kOffboarded})) {
        return Make(fb::CreateEmployeeOffboardedDirect(B(), e->id.c_str()));
      }
      return std::nullopt;
    case 6:
      if (Closable* s = Pick(sessions_, [](const Closable& c) { return c.closed; })) {
        return Make(
            fb::CreateSessionEndedDirect(B(), s->id.c_str(), fb::SessionEndReason::Expired));
      }
      return std::nullopt;
    case 7:
      if (ActiveSubscription()) {
        return Make(fb::CreateSubscriptionStartedDirect(B(), NewId().c_str(), nullptr, "team", 1,
                                                        kEpoch, kEpoch + kMonth));
      }
      return std::nullopt;
    case 8:
      if (Workflow* w =
              Pick(workflows_, [](const Workflow& w) { return w.flow == Flow::kActive; })) {
        return Make(fb::CreateWorkflowActivatedDirect(B(), w->id.c_str()));
      }
      return std::nullopt;
    case 9:
      if (!forgotten_.empty()) {
        // Forgetting twice. The set only grows, so this is certain.
        auto subject = std::next(forgotten_.begin(), static_cast<long>(Below(forgotten_.size())));
        return Make(fb::CreateSubjectForgottenDirect(B(), subject->c_str(), "again"), {},
                    Rule::kInvalidTransition);
      }
      return std::nullopt;
    case 10:
      if (Mission* m = Pick(missions_, [](const Mission& m) { return m.run != Run::kRunning; })) {
        return Make(fb::CreateMissionFailedDirect(B(), m->id.c_str(), "late"));
      }
      return std::nullopt;
    default:
      if (!template_tools_.empty()) {
        auto pair = *template_tools_.begin();
        return Make(
            fb::CreateTemplateToolAddedDirect(B(), pair.first.c_str(), pair.second.c_str()));
      }
      return std::nullopt;
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::NotLive() {
  Wrong("the entity is deleted, retired, revoked or removed");
  switch (Below(6)) {
    case 0:
      if (Team* t = Pick(teams_, [](const Team& t) { return t.deleted; })) {
        return Make(fb::CreateTeamRenamedDirect(B(), t->id.c_str(), "ghost"));
      }
      return std::nullopt;
    case 1: {
      Template* t = Pick(templates_, [](const Template& t) { return t.retired; });
      Employee* e = Active();
      if (!t || !e) return std::nullopt;
      return Make(fb::CreateEmployeeAgentAssignedDirect(B(), NewId().c_str(), e->id.c_str(),
                                                        t->id.c_str()));
    }
    case 2:
      if (Agent* a =
              Pick(agents_, [](const Agent& a) { return a.state == AgentState::kRevoked; })) {
        return Make(fb::CreateEmployeeAgentConfigOverriddenDirect(B(), a->id.c_str(), "{}"));
      }
      return std::nullopt;
    case 3: {
      Agent* a = Pick(agents_, [](const Agent& a) { return a.state == AgentState::kPaused; });
      Mission* m = Pick(missions_, [](const Mission& m) { return m.run == Run::kRunning; });
      if (!a || !m) return std::nullopt;
      return Make(fb::CreateTaskCreatedDirect(B(), NewId().c_str(), m->id.c_str(), a->id.c_str()));
    }
    case 4:
      if (Subscription* s =
              Pick(subscriptions_, [](const Subscription& s) { return s.cancelled; })) {
        return Make(fb::CreateSubscriptionBudgetChangedDirect(B(), s->id.c_str(), 5));
      }
      return std::nullopt;
    default:
      if (Closable* w = Pick(webhooks_, [](const Closable& c) { return c.closed; })) {
        return Make(fb::CreateWebhookDeliveryAttemptedDirect(B(), NewId().c_str(), w->id.c_str()));
      }
      return std::nullopt;
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::NotActive() {
  Employee* e = EmployeeIn({Seat::kInvited, Seat::kSuspended, Seat::kOffboarded});
  if (!e) return std::nullopt;
  Wrong("the employee is not active");
  switch (Below(3)) {
    case 0:
      return Make(fb::CreateMissionStartedDirect(B(), NewId().c_str(), e->id.c_str(), "idle"));
    case 1:
      return Make(fb::CreateSessionStartedDirect(B(), NewId().c_str(), e->id.c_str(), "hash"));
    default:
      return Make(fb::CreateAgentRequestSubmittedDirect(B(), NewId().c_str(), e->id.c_str(),
                                                        "new_agent", nullptr, 0, 1));
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::SeatLimit() {
  uint32_t seats = SeatHolders();
  if (seats >= 2 && Chance(0.5)) {
    Wrong("max_employees below the employees held");
    return Make(fb::CreateOrganizationPlanChangedDirect(B(), "tiny", 1, max_agents_));
  }
  if (max_employees_ == 0 || seats < max_employees_) return std::nullopt;
  Wrong("the org is at max_employees");
  return Hire();
}

std::optional<GeneratedCommand> RandomCommands::Impl::AgentLimit() {
  if (max_agents_ == 0) return std::nullopt;
  Employee* e = Pick(employees_, [&](const Employee& e) {
    return e.seat == Seat::kActive && LiveAgents(e.id) >= max_agents_;
  });
  Template* t = Pick(templates_, [](const Template& t) { return !t.retired; });
  if (!e || !t) return std::nullopt;
  Wrong("the employee is at max_agents_per_employee");
  return Make(
      fb::CreateEmployeeAgentAssignedDirect(B(), NewId().c_str(), e->id.c_str(), t->id.c_str()));
}

std::optional<GeneratedCommand> RandomCommands::Impl::ForeignTemplate() {
  Employee* e = Active();
  if (!e) return std::nullopt;
  Wrong("the template is neither the org's own nor public");
  std::string template_id = NewId();
  if (shared_) {
    auto* other =
        Pick(shared_->templates, [&](auto& t) { return t.owner != org_ && !t.is_public; });
    if (other && Chance(0.7)) template_id = other->id;
  }
  return Make(fb::CreateEmployeeAgentAssignedDirect(B(), NewId().c_str(), e->id.c_str(),
                                                    template_id.c_str()));
}

std::optional<GeneratedCommand> RandomCommands::Impl::UnapprovedServer() {
  Employee* e = Active();
  Server* s = Pick(servers_, [](const Server& s) { return !s.approved; });
  if (!e || !s) return std::nullopt;
  Wrong("the MCP server is not approved");
  return Make(
      fb::CreateEmployeeMcpConfiguredDirect(B(), NewId().c_str(), e->id.c_str(), s->id.c_str()));
}

std::optional<GeneratedCommand> RandomCommands::Impl::BadVote() {
  auto vote = [&](const Request& r, const Employee& approver) {
    return Make(fb::CreateApprovalRecordedDirect(
        B(), NewId().c_str(), r.id.c_str(), approver.id.c_str(), fb::ApprovalDecision::Approve));
  };
  switch (Below(4)) {
    case 0: {
      Request* r = Pick(requests_, [](const Request& r) { return r.pending; });
      Employee* e = Pick(employees_, [&](const Employee& e) {
        return e.seat == Seat::kActive && !CanApprove(e) && r && e.id != r->employee;
      });
      if (!r || !e) return std::nullopt;
      Wrong("the approver's role does not allow approving");
      return vote(*r, *e);
    }
    case 1: {
      Request* r = Pick(requests_, [&](const Request& r) {
        Employee* e = ById(employees_, r.employee);
        return r.pending && e && e->seat == Seat::kActive && CanApprove(*e);
      });
      if (!r) return std::nullopt;
      Wrong("the approver is the requester");
      return vote(*r, *ById(employees_, r->employee));
    }
    case 2: {
      Request* r = Pick(requests_, [](const Request& r) { return r.pending && !r.voters.empty(); });
      if (!r) return std::nullopt;
      Employee* e = ById(employees_, r->voters[Below(r->voters.size())]);
      Wrong("the approver already voted");
      return vote(*r, *e);
    }
    default: {
      Request* r = Pick(requests_, [](const Request& r) { return !r.pending; });
      if (!r) return std::nullopt;
      Wrong("the request is no longer pending");
      if (Chance(0.5)) return Make(fb::CreateAgentRequestExpiredDirect(B(), r->id.c_str()));
      Employee* e = Active();
      if (!e) return std::nullopt;
      return vote(*r, *e);
    }
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::Overflow() {
  // Spending only grows, so any cost of INT64_MAX overflows an employee who
  // was seen spending; the checks before it pass for a known employee.
  Employee* e = Pick(employees_, [](const Employee& e) { return e.spending > 0; });
  if (!e) return std::nullopt;
  Wrong("spending would overflow");
  return Make(
      fb::CreateUsageRecordedDirect(B(), NewId().c_str(), e->id.c_str(), nullptr, nullptr, nullptr,
                                    nullptr, fb::ResourceType::ComputeMillis, 1, kMax),
      {}, Rule::kOverflow);
}

std::optional<GeneratedCommand> RandomCommands::Impl::Cycle() {
  Wrong("a dependency cycle");
  if (Chance(0.5)) {
    // On itself: certain, tasks are never removed.
    Task* t = PickAny(tasks_);
    if (!t) return std::nullopt;
    return Make(fb::CreateTaskDependencyAddedDirect(B(), t->id.c_str(), t->id.c_str(),
                                                    fb::DependencyType::Blocking),
                {}, Rule::kDependencyCycle);
  }
  Task* t = Pick(tasks_, [](const Task& t) { return !t.deps.empty(); });
  if (!t) return std::nullopt;
  std::string on = t->deps[Below(t->deps.size())];
  return Make(fb::CreateTaskDependencyAddedDirect(B(), on.c_str(), t->id.c_str(),
                                                  fb::DependencyType::Soft));
}

std::optional<GeneratedCommand> RandomCommands::Impl::BadValue() {
  Wrong("a field's value is out of its domain");
  switch (Below(9)) {
    case 0:
      if (Employee* e = Active()) {
        return Make(fb::CreateAgentRequestSubmittedDirect(B(), NewId().c_str(), e->id.c_str(), "x",
                                                          nullptr, 0, 0));
      }
      return std::nullopt;
    case 1:
      if (Task* t = Pick(tasks_, [](const Task& t) { return t.run == Run::kFailed; })) {
        return Make(
            fb::CreateTaskRetriedDirect(B(), t->id.c_str(), static_cast<uint16_t>(t->retries + 5)));
      }
      return std::nullopt;
    case 2:
      if (Workflow* w = PickAny(workflows_)) {
        return Make(fb::CreateWorkflowVersionCreatedDirect(B(), w->id.c_str(), w->version + 7));
      }
      return std::nullopt;
    case 3:
      if (Workflow* w =
              Pick(workflows_, [](const Workflow& w) { return w.flow == Flow::kActive; })) {
        return Make(
            fb::CreateWorkflowExecutionStartedDirect(B(), NewId().c_str(), w->id.c_str(), 0));
      }
      return std::nullopt;
    case 4:
      if (Execution* x = Pick(
              executions_, [](const Execution& x) { return x.run == Run::kRunning && x.steps; })) {
        return Make(fb::CreateWorkflowStepProgressedDirect(B(), x->id.c_str(), "late", x->steps,
                                                           fb::StepStatus::Succeeded));
      }
      return std::nullopt;
    case 5: {
      McpConfig* c = Pick(configs_, [](const McpConfig& c) { return !c.removed; });
      if (!c) return std::nullopt;
      return Make(fb::CreateEmployeeMcpRemovedDirect(B(), c->id.c_str(), NewId().c_str()));
    }
    case 6: {
      // Sealed for someone else.
      Employee* e = Active();
      Employee* other = PickAny(employees_);
      if (!e || !other || e == other || forgotten_.count(other->id)) return std::nullopt;
      return Make(fb::CreateEmployeeSuspendedDirect(B(), e->id.c_str(), Seal(other->id, "gossip")));
    }
    case 7: {
      Agent* a = PickAny(agents_);
      Employee* e = Pick(employees_, [&](const Employee& e) { return a && e.id != a->employee; });
      if (!a || !e) return std::nullopt;
      return Make(fb::CreateUsageRecordedDirect(B(), NewId().c_str(), e->id.c_str(), a->id.c_str(),
                                                nullptr, nullptr, nullptr,
                                                fb::ResourceType::AgentRuns, 1, 1));
    }
    default: {
      Subscription* s = ActiveSubscription();
      if (!s) return std::nullopt;
      return Make(fb::CreateSubscriptionBillingPeriodRolledDirect(B(), s->id.c_str(),
                                                                  s->end - kMonth, s->end));
    }
  }
}

std::optional<GeneratedCommand> RandomCommands::Impl::ForgottenSubject() {
  Employee* e = Pick(employees_, [&](const Employee& e) { return forgotten_.count(e.id) > 0; });
  if (!e) return std::nullopt;
  Wrong("personal data for a forgotten subject");
  // Employees are never removed and the check for sealed content comes last.
  return Make(fb::CreateActivityLoggedDirect(B(), NewId().c_str(), e->id.c_str(), nullptr, "cli",
                                             "1", "note", "ui", Seal(e->id, "remember me")),
              {}, Rule::kSubjectForgotten);
}

std::optional<GeneratedCommand> RandomCommands::Impl::WrongVersion() {
  Maybe command = Choose(kValid, true);
  if (!command) return std::nullopt;
  command->mistake = "expected version is not the org's";
  command->certain.reset();
  uint64_t off = 1 + Below(3);
  command->command.expected_version =
      version_ >= off && Chance(0.5) ? version_ - off : version_ + off + 5;
  return command;
}

std::optional<GeneratedCommand> RandomCommands::Impl::ReusedKey() {
  if (keyed_.empty()) return std::nullopt;
  envelope_.idempotency_key = keyed_[Below(keyed_.size())].key;
  Maybe command = Choose(kValid, true);
  if (!command) return std::nullopt;
  command->mistake = "idempotency key reused for other content";
  command->label = "retry/other-content:" + command->label;
  command->certain.reset();
  return command;
}

// --- the public face ----------------------------------------------------------------

RandomCommands::RandomCommands(uint64_t seed, int length, SubjectKeys* keys,
                               SharedCatalogue* shared)
    : impl_(std::make_unique<Impl>(seed, length, keys, shared)) {}
RandomCommands::~RandomCommands() = default;
RandomCommands::RandomCommands(RandomCommands&&) noexcept = default;
RandomCommands& RandomCommands::operator=(RandomCommands&&) noexcept = default;

const Uuid& RandomCommands::org() const { return impl_->org(); }
uint64_t RandomCommands::seed() const { return impl_->seed(); }
bool RandomCommands::done() const { return impl_->done(); }
GeneratedCommand RandomCommands::Next() { return impl_->Next(); }
void RandomCommands::Observe(const GeneratedCommand& command, const CommandResult& result) {
  impl_->Observe(command, result);
}
void RandomCommands::set_keys(SubjectKeys* keys) { impl_->set_keys(keys); }

}  // namespace ledger::testing
