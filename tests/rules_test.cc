// The command rules (rules.h), one table row per way to break a rule: each row
// builds a world, submits a near miss the rule lets through, then a command
// the rule rejects, and checks that the rejection names the rule and the
// offending id and appended nothing. Behaviour that needs more than one
// command to observe (derived events, retries, batches, erasure) has its own
// test below the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "command_fixture.h"
#include "ledger/ledger.h"

namespace ledger {
namespace {

using testing::CommandFixture;
using testing::NewId;
using F = CommandFixture;
using Decision = fb::ApprovalDecision;

constexpr int64_t kMaxMoney = std::numeric_limits<int64_t>::max();

// HasSubstr is gmock's, which this suite does not link.
::testing::AssertionResult Mentions(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

std::string Email(F& f) { return f.Unique("person") + "@example.com"; }

EnvelopeFields Keyed(const Uuid& org, const std::string& idempotency_key,
                     const std::string& event_id = "") {
  EnvelopeFields envelope;
  envelope.org = org;
  envelope.idempotency_key = idempotency_key;
  envelope.event_id = event_id;
  return envelope;
}

// An event built field by field, for shapes EventBuilder refuses to make: any
// org_id text and any payload type number (the payload is a TeamCreated).
std::string RawEvent(const std::string& org_id, fb::Payload type) {
  flatbuffers::FlatBufferBuilder b;
  auto team = fb::CreateTeamCreatedDirect(b, NewId().c_str(), "Platform");
  auto envelope = fb::CreateEnvelopeDirect(b, org_id.c_str(), NewId().c_str());
  bool none = type == fb::Payload::NONE;
  b.Finish(fb::CreateEvent(b, envelope, type, none ? 0 : team.Union()), fb::EventIdentifier());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

// A TeamCreated whose name is any bytes (NUL included).
std::string TeamNamed(F& f, const Uuid& org, std::string_view name) {
  auto id = f.fbb().CreateString(NewId());
  auto text = f.fbb().CreateString(name.data(), name.size());
  return f.Event(org, fb::CreateTeamCreated(f.fbb(), id, text));
}

// EmployeeHired with its email sent as a seal request, the way a service
// without data keys sends it: the ledger seals the plaintext.
std::string HiredByRequest(F& f, const Uuid& org, std::string_view email) {
  SealRequestKeys requests;
  std::string id = NewId();
  Result<SealedValue> sealed = requests.Seal(*Uuid::Parse(id), email);
  return f.Event(org, fb::CreateEmployeeHiredDirect(f.fbb(), id.c_str(), nullptr, nullptr,
                                                    sealed->Build(f.fbb())));
}

// What a row's setup made: two orgs and named ids ("employee", "request"...).
struct World {
  Uuid org;    // where the commands go
  Uuid other;  // a second org, for references across orgs
  std::map<std::string, std::string> ids;
  std::string kept;  // an event built during setup, submitted later
  std::string& operator[](const std::string& name) { return ids[name]; }
};

struct Attempt {
  std::string event;
  // What a rejection's message must mention: the offending id where there is
  // one. Unused for the near miss.
  std::string names = "";
  std::optional<uint64_t> expected_version = {};
  Uuid org = {};  // an org besides World's whose version must not move
};

struct Case {
  std::string name;
  Rule rule;
  std::function<World(F&)> setup;
  std::function<Attempt(F&, World&)> accepted;  // the near miss, submitted first
  std::function<Attempt(F&, World&)> rejected;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// Two orgs and one active employee in the first.
World Base(F& f, uint32_t max_employees = 0, uint32_t max_agents_per_employee = 0) {
  World w;
  w.org = f.AddOrg(max_employees, max_agents_per_employee);
  w.other = f.AddOrg();
  w["employee"] = f.AddEmployee(w.org);
  return w;
}

// Base plus: "approver" and "approver2" whose role may approve, "member"
// whose role may not, and "request" by "employee" needing `required` votes.
World Approvals(F& f, uint16_t required) {
  World w = Base(f);
  std::string manager = f.AddRole(w.org, true);
  w["member_role"] = f.AddRole(w.org, false);
  w["approver"] = f.AddEmployee(w.org, manager);
  w["approver2"] = f.AddEmployee(w.org, manager);
  w["member"] = f.AddEmployee(w.org, w["member_role"]);
  w["request"] = f.AddRequest(w.org, w["employee"], required);
  return w;
}

// Submits `attempt`, expecting `rule` and no change to the log or to the
// versions of `orgs`.
void ExpectRejected(F& f, const Attempt& attempt, Rule rule, std::vector<Uuid> orgs) {
  if (!attempt.org.IsNil()) orgs.push_back(attempt.org);
  uint64_t global = f.log().LastGlobalSeq();
  std::vector<uint64_t> versions;
  for (const Uuid& org : orgs) versions.push_back(f.Version(org));

  CommandResult result = f.Submit(attempt.event, attempt.expected_version);
  EXPECT_EQ(result.rule, rule) << "got " << RuleName(result.rule) << ": "
                               << result.status.ToString();
  EXPECT_EQ(result.status.code(), Code::kRejected) << result.status.ToString();
  EXPECT_EQ(result.status.message().rfind(std::string(RuleName(rule)) + ": ", 0), 0u)
      << "message does not start with the rule name: " << result.status.message();
  EXPECT_TRUE(Mentions(result.status.message(), attempt.names));
  EXPECT_FALSE(result.replayed);
  EXPECT_EQ(result.event_count, 0u);
  EXPECT_TRUE(result.positions.empty());

  EXPECT_EQ(f.log().LastGlobalSeq(), global) << "a rejected command appended events";
  for (size_t i = 0; i < orgs.size(); ++i) {
    EXPECT_EQ(f.Version(orgs[i]), versions[i]) << "org " << orgs[i].ToString() << " moved";
    Result<TreeHead> head = f.log().Head(orgs[i]);
    if (versions[i] == 0) {
      // Still unknown to the log: no event of it was ever appended.
      EXPECT_EQ(head.status().code(), Code::kNotFound) << head.status().ToString();
      continue;
    }
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->size, versions[i]) << "the log and the write model disagree";
  }
}

// --- The table ------------------------------------------------------------------

std::vector<Case> FormatCases() {
  return {
      {"malformed_garbage_bytes", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.TeamCreated(w.org, NewId())}; },
       [](F&, World&) {
         return Attempt{"garbage: not a FlatBuffer at all", "FlatBuffer"};
       }},
      {"malformed_nil_org", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.TeamCreated(w.org, NewId())}; },
       [](F& f, World&) {
         return Attempt{
             f.Event(EnvelopeFields{}, fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "x")),
             "envelope.org_id"};
       }},
      {"malformed_empty_org_id", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F&, World& w) { return Attempt{RawEvent(w.org.ToString(), fb::Payload::TeamCreated)}; },
       [](F&, World&) {
         return Attempt{RawEvent("", fb::Payload::TeamCreated), "envelope.org_id ''"};
       }},
      {"malformed_no_payload", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F&, World& w) { return Attempt{RawEvent(w.org.ToString(), fb::Payload::TeamCreated)}; },
       [](F&, World& w) {
         return Attempt{RawEvent(w.org.ToString(), fb::Payload::NONE), "payload"};
       }},
      {"malformed_bad_uuid_in_id_field", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.TeamCreated(w.org, NewId())}; },
       [](F& f, World& w) {
         return Attempt{f.TeamCreated(w.org, "team-7"), "team-7"};
       }},
      {"malformed_bad_uuid_in_reference", Rule::kMalformed,
       [](F& f) {
         World w = Base(f);
         w["template"] = f.AddTemplate(w.org, false);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["template"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), "bob", w["template"]), "'bob'"};
       }},
      {"malformed_bad_event_id", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "", NewId()),
                                fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "x"))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "", "evt-1"),
                                fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "x")),
                        "evt-1"};
       }},
      {"malformed_missing_sealed_email", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f))}; },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateEmployeeHiredDirect(f.fbb(), NewId().c_str())),
                        "email is required"};
       }},
      {"malformed_text_not_utf8", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{TeamNamed(f, w.org, "Plattform \xC3\xA9quipe")}; },
       [](F& f, World& w) {
         return Attempt{TeamNamed(f, w.org, "Plattform \xC3("),
                        "TeamCreated field 'name' holds bytes that are not UTF-8 at byte 10"};
       }},
      {"malformed_text_with_nul", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{TeamNamed(f, w.org, "Platform")}; },
       [](F& f, World& w) {
         return Attempt{TeamNamed(f, w.org, std::string_view("Plat\0form", 9)),
                        "field 'name' holds a NUL byte at byte 4"};
       }},
      {"malformed_envelope_text_not_utf8", Rule::kMalformed, [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "retry-\xE2\x9C\x93"),
                                fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "x"))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "retry-\xED\xA0\x80"),  // a surrogate
                                fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "y")),
                        "envelope field 'idempotency_key'"};
       }},
      {"unknown_event_type", Rule::kUnknownEventType, [](F& f) { return Base(f); },
       [](F&, World& w) { return Attempt{RawEvent(w.org.ToString(), fb::Payload::TeamCreated)}; },
       [](F&, World& w) {
         return Attempt{RawEvent(w.org.ToString(), static_cast<fb::Payload>(200)), "200"};
       }},
      {"engine_emitted_request_resolved", Rule::kEngineEmitted,
       [](F& f) { return Approvals(f, 1); },
       // The engine records the resolution itself when the vote meets the rule.
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["request"], w["approver"])}; },
       [](F& f, World& w) {
         return Attempt{
             f.Event(w.org, fb::CreateAgentRequestResolvedDirect(f.fbb(), w["request"].c_str(),
                                                                 fb::RequestResolution::Approved)),
             "AgentRequestResolved"};
       }},
      {"engine_emitted_budget_threshold", Rule::kEngineEmitted,
       [](F& f) {
         World w = Base(f);
         w["subscription"] = f.AddSubscription(w.org, 1000);
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Usage(w.org, w["employee"], 800)}; },
       [](F& f, World& w) {
         return Attempt{
             f.Event(w.org, fb::CreateBudgetThresholdCrossedDirect(
                                f.fbb(), w["subscription"].c_str(), 100, 1000, 1000, 1000)),
             "BudgetThresholdCrossed"};
       }},
  };
}

std::vector<Case> OrgCases() {
  return {
      {"no_such_org", Rule::kNoSuchOrg, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.TeamCreated(w.org, NewId())}; },
       [](F& f, World&) {
         Uuid nowhere = Uuid::Random();
         return Attempt{f.TeamCreated(nowhere, NewId()), nowhere.ToString(), {}, nowhere};
       }},
      {"org_exists", Rule::kOrgExists,
       [](F& f) {
         World w;
         w.org = Uuid::Random();  // created by the accepted command
         w.other = f.AddOrg();
         return w;
       },
       [](F& f, World& w) { return Attempt{f.OrgCreated(w.org, f.Unique("acme"))}; },
       [](F& f, World& w) {
         return Attempt{f.OrgCreated(w.org, f.Unique("acme")), w.org.ToString()};
       }},
      {"org_exists_after_deletion", Rule::kOrgExists, [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateOrganizationDeleted(f.fbb()))};
       },
       [](F& f, World& w) {
         return Attempt{f.OrgCreated(w.org, f.Unique("acme")), w.org.ToString()};
       }},
      {"org_deleted", Rule::kOrgDeleted, [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateOrganizationDeleted(f.fbb()))};
       },
       [](F& f, World& w) {
         return Attempt{f.TeamCreated(w.org, NewId()), w.org.ToString()};
       }},
      {"version_conflict_stale", Rule::kVersionConflict, [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.TeamCreated(w.org, NewId()), "", f.Version(w.org)};
       },
       [](F& f, World& w) {
         return Attempt{f.TeamCreated(w.org, NewId()), w.org.ToString(), f.Version(w.org) - 1};
       }},
      {"version_conflict_ahead", Rule::kVersionConflict, [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.TeamCreated(w.org, NewId()), "", f.Version(w.org)};
       },
       [](F& f, World& w) {
         return Attempt{f.TeamCreated(w.org, NewId()), w.org.ToString(), f.Version(w.org) + 1};
       }},
      {"idempotency_mismatch_other_payload", Rule::kIdempotencyMismatch,
       [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "create-team-1"),
                                fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "A"))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "create-team-1"),
                                fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "B")),
                        "create-team-1"};
       }},
      {"idempotency_mismatch_other_type", Rule::kIdempotencyMismatch, [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "setup-1"),
                                fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "A"))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(Keyed(w.org, "setup-1"),
                                fb::CreateRoleDefinedDirect(f.fbb(), NewId().c_str(), "A")),
                        "setup-1"};
       }},
  };
}

std::vector<Case> ReferenceCases() {
  return {
      {"unknown_reference_team_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["mine"] = f.AddTeam(w.org);
         w["theirs"] = f.AddTeam(w.other);
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f), "", w["mine"])}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), Email(f), "", w["theirs"]), w["theirs"]};
       }},
      {"unknown_reference_role_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["mine"] = f.AddRole(w.org, false);
         w["theirs"] = f.AddRole(w.other, false);
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f), w["mine"])}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), Email(f), w["theirs"]), w["theirs"]};
       }},
      {"unknown_reference_employee_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["template"] = f.AddTemplate(w.org, false);
         w["theirs"] = f.AddEmployee(w.other);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["template"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["theirs"], w["template"]), w["theirs"]};
       }},
      {"unknown_reference_agent_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["mine"] = f.AddAgent(w.org, w["employee"], f.AddTemplate(w.org, false));
         w["theirs"] = f.AddAgent(w.other, f.AddEmployee(w.other), f.AddTemplate(w.other, false));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.AgentPaused(w.org, w["mine"])}; },
       [](F& f, World& w) {
         return Attempt{f.AgentPaused(w.org, w["theirs"]), w["theirs"]};
       }},
      {"unknown_reference_request_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Approvals(f, 1);
         w["theirs"] = f.AddRequest(w.other, f.AddEmployee(w.other));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["request"], w["approver"])}; },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["theirs"], w["approver2"]), w["theirs"]};
       }},
      {"unknown_reference_mcp_server_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["mine"] = f.AddMcpServer(w.org);
         w["theirs"] = f.AddMcpServer(w.other);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.McpConfigured(w.org, NewId(), w["employee"], w["mine"])};
       },
       [](F& f, World& w) {
         return Attempt{f.McpConfigured(w.org, NewId(), w["employee"], w["theirs"]), w["theirs"]};
       }},
      {"unknown_reference_mission_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["mine"] = f.AddMission(w.org, w["employee"]);
         w["theirs"] = f.AddMission(w.other, f.AddEmployee(w.other));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.TaskCreated(w.org, NewId(), w["mine"])}; },
       [](F& f, World& w) {
         return Attempt{f.TaskCreated(w.org, NewId(), w["theirs"]), w["theirs"]};
       }},
      {"unknown_reference_actor_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["theirs"] = f.AddEmployee(w.other);
         return w;
       },
       [](F& f, World& w) {
         EnvelopeFields envelope = Keyed(w.org, "");
         envelope.actor = {fb::ActorKind::Employee, w["employee"]};
         return Attempt{
             f.Event(envelope, fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "x"))};
       },
       [](F& f, World& w) {
         EnvelopeFields envelope = Keyed(w.org, "");
         envelope.actor = {fb::ActorKind::Employee, w["theirs"]};
         return Attempt{
             f.Event(envelope, fb::CreateTeamCreatedDirect(f.fbb(), NewId().c_str(), "x")),
             w["theirs"]};
       }},
      {"unknown_reference_tool_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["template"] = f.AddTemplate(w.org, false);
         w["mine"] = NewId();
         w["theirs"] = NewId();
         f.Accept(
             f.Event(w.org, fb::CreateToolRegisteredDirect(f.fbb(), w["mine"].c_str(), "git")));
         f.Accept(
             f.Event(w.other, fb::CreateToolRegisteredDirect(f.fbb(), w["theirs"].c_str(), "git")));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateTemplateToolAddedDirect(
                                           f.fbb(), w["template"].c_str(), w["mine"].c_str()))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateTemplateToolAddedDirect(
                                           f.fbb(), w["template"].c_str(), w["theirs"].c_str())),
                        w["theirs"]};
       }},
      {"unknown_reference_policy_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["team"] = f.AddTeam(w.org);
         w["mine"] = NewId();
         w["theirs"] = NewId();
         f.Accept(f.Event(w.org, fb::CreatePolicyDefinedDirect(f.fbb(), w["mine"].c_str(), "p")));
         f.Accept(
             f.Event(w.other, fb::CreatePolicyDefinedDirect(f.fbb(), w["theirs"].c_str(), "p")));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{
             f.Event(w.org, fb::CreatePolicyAttachedToTeamDirect(
                                f.fbb(), NewId().c_str(), w["team"].c_str(), w["mine"].c_str()))};
       },
       [](F& f, World& w) {
         return Attempt{
             f.Event(w.org, fb::CreatePolicyAttachedToTeamDirect(
                                f.fbb(), NewId().c_str(), w["team"].c_str(), w["theirs"].c_str())),
             w["theirs"]};
       }},
      {"unknown_reference_task_of_other_org", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         std::string mission = f.AddMission(w.org, w["employee"]);
         w["task"] = f.AddTask(w.org, mission);
         w["mine"] = f.AddTask(w.org, mission);
         w["theirs"] = f.AddTask(w.other, f.AddMission(w.other, f.AddEmployee(w.other)));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.DependsOn(w.org, w["task"], w["mine"])}; },
       [](F& f, World& w) {
         return Attempt{f.DependsOn(w.org, w["task"], w["theirs"]), w["theirs"]};
       }},
      {"unknown_reference_never_existed", Rule::kUnknownReference,
       [](F& f) {
         World w = Base(f);
         w["agent"] = f.AddAgent(w.org, w["employee"], f.AddTemplate(w.org, false));
         w["ghost"] = NewId();
         return w;
       },
       [](F& f, World& w) { return Attempt{f.AgentRevoked(w.org, w["agent"])}; },
       [](F& f, World& w) {
         return Attempt{f.AgentRevoked(w.org, w["ghost"]), w["ghost"]};
       }},

      {"not_live_deleted_team", Rule::kNotLive,
       [](F& f) {
         World w = Base(f);
         w["live"] = f.AddTeam(w.org);
         w["deleted"] = f.AddTeam(w.org);
         f.Accept(f.Event(w.org, fb::CreateTeamDeletedDirect(f.fbb(), w["deleted"].c_str())));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f), "", w["live"])}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), Email(f), "", w["deleted"]), w["deleted"]};
       }},
      {"not_live_revoked_agent", Rule::kNotLive,
       [](F& f) {
         World w = Base(f);
         std::string tmpl = f.AddTemplate(w.org, false);
         w["live"] = f.AddAgent(w.org, w["employee"], tmpl);
         w["revoked"] = f.AddAgent(w.org, w["employee"], tmpl);
         f.Accept(f.AgentRevoked(w.org, w["revoked"]));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.AgentPaused(w.org, w["live"])}; },
       [](F& f, World& w) {
         return Attempt{f.AgentPaused(w.org, w["revoked"]), w["revoked"]};
       }},
      {"not_live_retired_own_template", Rule::kNotLive,
       [](F& f) {
         World w = Base(f);
         w["live"] = f.AddTemplate(w.org, false);
         w["retired"] = f.AddTemplate(w.org, false);
         f.Accept(f.TemplateRetired(w.org, w["retired"]));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["live"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["retired"]), w["retired"]};
       }},
      {"not_live_retired_public_template_of_other_org", Rule::kNotLive,
       [](F& f) {
         World w = Base(f);
         w["live"] = f.AddTemplate(w.other, true);
         w["retired"] = f.AddTemplate(w.other, true);
         f.Accept(f.TemplateRetired(w.other, w["retired"]));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["live"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["retired"]), w["retired"]};
       }},
      {"not_live_removed_mcp_config", Rule::kNotLive,
       [](F& f) {
         World w = Base(f);
         std::string server = f.AddMcpServer(w.org);
         w["live"] = f.AddMcpConfig(w.org, w["employee"], server);
         w["removed"] = f.AddMcpConfig(w.org, w["employee"], server);
         f.Accept(f.Event(w.org, fb::CreateEmployeeMcpRemovedDirect(f.fbb(), w["removed"].c_str(),
                                                                    w["employee"].c_str())));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateEmployeeMcpRemovedDirect(
                                           f.fbb(), w["live"].c_str(), w["employee"].c_str()))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateEmployeeMcpRemovedDirect(
                                           f.fbb(), w["removed"].c_str(), w["employee"].c_str())),
                        w["removed"]};
       }},
      {"not_live_cancelled_subscription", Rule::kNotLive,
       [](F& f) {
         World w = Base(f);
         w["cancelled"] = f.AddSubscription(w.org, 1000);
         f.Accept(f.Event(w.org,
                          fb::CreateSubscriptionCancelledDirect(f.fbb(), w["cancelled"].c_str())));
         return w;
       },
       // Cancelling the first frees the org for a new subscription.
       [](F& f, World& w) { return Attempt{f.SubscriptionStarted(w.org, NewId(), 1000)}; },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateSubscriptionBudgetChangedDirect(
                                           f.fbb(), w["cancelled"].c_str(), 2000)),
                        w["cancelled"]};
       }},
  };
}

// One row per kind whose name is unique within an org: the same name is
// fine in another org and taken in the same one.
std::vector<Case> UniqueNameCases() {
  using Make = std::function<std::string(F&, const Uuid&, const std::string&, const std::string&)>;
  std::vector<std::pair<std::string, Make>> kinds = {
      {"role", [](F& f, const Uuid& org, const std::string& id,
                  const std::string& name) { return f.RoleDefined(org, id, name, false); }},
      {"template",
       [](F& f, const Uuid& org, const std::string& id, const std::string& name) {
         return f.TemplatePublished(org, id, name, true);
       }},
      {"tool",
       [](F& f, const Uuid& org, const std::string& id, const std::string& name) {
         return f.Event(org,
                        fb::CreateToolRegisteredDirect(f.fbb(), id.c_str(), name.c_str(), "vcs"));
       }},
      {"policy",
       [](F& f, const Uuid& org, const std::string& id, const std::string& name) {
         return f.Event(org, fb::CreatePolicyDefinedDirect(f.fbb(), id.c_str(), name.c_str(),
                                                           "security", "{}", "high"));
       }},
      {"mcp_server", [](F& f, const Uuid& org, const std::string& id,
                        const std::string& name) { return f.McpServerRegistered(org, id, name); }},
      {"mcp_category",
       [](F& f, const Uuid& org, const std::string& id, const std::string& name) {
         return f.Event(org, fb::CreateMcpCategoryCreatedDirect(f.fbb(), id.c_str(), name.c_str()));
       }},
  };
  std::vector<Case> cases;
  for (const auto& [kind, make] : kinds) {
    cases.push_back(
        {"not_unique_" + kind + "_name", Rule::kNotUnique,
         [make](F& f) {
           World w = Base(f);
           w["name"] = f.Unique("name");
           f.Accept(make(f, w.org, NewId(), w["name"]));
           return w;
         },
         [make](F& f, World& w) { return Attempt{make(f, w.other, NewId(), w["name"])}; },
         [make](F& f, World& w) {
           return Attempt{make(f, w.org, NewId(), w["name"]), "'" + w["name"] + "'"};
         }});
  }
  return cases;
}

std::vector<Case> IdentityCases() {
  return {
      {"duplicate_id_team", Rule::kDuplicateId,
       [](F& f) {
         World w = Base(f);
         w["team"] = f.AddTeam(w.org);
         return w;
       },
       // Ids are per org: another org may use the same one.
       [](F& f, World& w) { return Attempt{f.TeamCreated(w.other, w["team"])}; },
       [](F& f, World& w) {
         return Attempt{f.TeamCreated(w.org, w["team"]), w["team"]};
       }},
      {"duplicate_id_employee", Rule::kDuplicateId, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.Hired(w.other, w["employee"], Email(f))}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, w["employee"], Email(f)), w["employee"]};
       }},
      {"duplicate_id_template_of_other_org", Rule::kDuplicateId,
       [](F& f) {
         World w = Base(f);
         w["theirs"] = f.AddTemplate(w.other, false);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.TemplatePublished(w.org, NewId(), f.Unique("t"), false)};
       },
       // Template ids are global: orgs use each other's public templates by id.
       [](F& f, World& w) {
         return Attempt{f.TemplatePublished(w.org, w["theirs"], f.Unique("t"), false), w["theirs"]};
       }},

      {"not_unique_slug_across_orgs", Rule::kNotUnique,
       [](F& f) {
         World w = Base(f);
         w["slug"] = f.Unique("slug");
         f.Accept(f.OrgCreated(Uuid::Random(), w["slug"]));
         return w;
       },
       [](F& f, World&) { return Attempt{f.OrgCreated(Uuid::Random(), f.Unique("slug"))}; },
       [](F& f, World& w) {
         Uuid org = Uuid::Random();
         return Attempt{f.OrgCreated(org, w["slug"]), "'" + w["slug"] + "'", {}, org};
       }},
      {"not_unique_email_within_org", Rule::kNotUnique,
       [](F& f) {
         World w = Base(f);
         w["email"] = Email(f);
         w["first"] = NewId();
         f.Accept(f.Hired(w.org, w["first"], w["email"]));
         return w;
       },
       // Sealed under different subjects, so the ciphertexts differ: the engine
       // must open both to see they are equal.
       [](F& f, World& w) { return Attempt{f.Hired(w.other, NewId(), w["email"])}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), w["email"]), w["first"]};
       }},
      {"not_unique_email_of_invited_employee", Rule::kNotUnique,
       [](F& f) {
         World w = Base(f);
         w["email"] = Email(f);
         w["first"] = NewId();
         f.Accept(f.Invited(w.org, w["first"], w["email"]));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f))}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), w["email"]), w["first"]};
       }},
      {"not_unique_email_freed_by_offboarding", Rule::kNotUnique,
       [](F& f) {
         World w = Base(f);
         w["email"] = Email(f);
         std::string gone = NewId();
         f.Accept(f.Hired(w.org, gone, w["email"]));
         f.Accept(f.Offboarded(w.org, gone));
         w["second"] = NewId();
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, w["second"], w["email"])}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), w["email"]), w["second"]};
       }},
      {"not_unique_artifact_sha256", Rule::kNotUnique,
       [](F& f) {
         World w = Base(f);
         w["mission"] = f.AddMission(w.org, w["employee"]);
         w["their_mission"] = f.AddMission(w.other, f.AddEmployee(w.other));
         w["sha"] = std::string(64, 'a');
         f.Accept(f.Artifact(w.org, NewId(), w["mission"], w["sha"]));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.Artifact(w.other, NewId(), w["their_mission"], w["sha"])};
       },
       [](F& f, World& w) {
         return Attempt{f.Artifact(w.org, NewId(), w["mission"], w["sha"]), w["sha"]};
       }},
  };
}

// Suspended, invited and offboarded employees get no agent, MCP config or
// request; the active one does.
std::vector<Case> ActiveEmployeeCases() {
  using Make = std::function<std::string(F&, World&, const std::string& employee)>;
  std::vector<std::pair<std::string, Make>> commands = {
      {"agent",
       [](F& f, World& w, const std::string& employee) {
         return f.AgentAssigned(w.org, NewId(), employee, w["template"]);
       }},
      {"mcp_config",
       [](F& f, World& w, const std::string& employee) {
         return f.McpConfigured(w.org, NewId(), employee, w["server"]);
       }},
      {"request",
       [](F& f, World& w, const std::string& employee) {
         return f.RequestSubmitted(w.org, NewId(), employee);
       }},
      {"mission",
       [](F& f, World& w, const std::string& employee) {
         return f.MissionStarted(w.org, NewId(), employee);
       }},
      {"session",
       [](F& f, World& w, const std::string& employee) {
         return f.Event(w.org, fb::CreateSessionStartedDirect(f.fbb(), NewId().c_str(),
                                                              employee.c_str(), "token-hash"));
       }},
  };
  using Become = std::function<std::string(F&, const Uuid&)>;
  std::vector<std::pair<std::string, Become>> statuses = {
      {"suspended",
       [](F& f, const Uuid& org) {
         std::string id = f.AddEmployee(org);
         f.Accept(f.Suspended(org, id));
         return id;
       }},
      {"invited",
       [](F& f, const Uuid& org) {
         std::string id = NewId();
         f.Accept(f.Invited(org, id, Email(f)));
         return id;
       }},
      {"offboarded",
       [](F& f, const Uuid& org) {
         std::string id = f.AddEmployee(org);
         f.Accept(f.Offboarded(org, id));
         return id;
       }},
  };
  std::vector<Case> cases;
  for (const auto& [status, become] : statuses) {
    for (const auto& [what, make] : commands) {
      cases.push_back({"employee_not_active_" + status + "_" + what, Rule::kEmployeeNotActive,
                       [become](F& f) {
                         World w = Base(f);
                         w["template"] = f.AddTemplate(w.org, false);
                         w["server"] = f.AddMcpServer(w.org);
                         w["inactive"] = become(f, w.org);
                         return w;
                       },
                       [make](F& f, World& w) { return Attempt{make(f, w, w["employee"])}; },
                       [make](F& f, World& w) {
                         return Attempt{make(f, w, w["inactive"]), w["inactive"]};
                       }});
    }
  }
  return cases;
}

std::vector<Case> LimitCases() {
  return {
      {"employee_limit_hire", Rule::kEmployeeLimit, [](F& f) { return Base(f, 2); },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f))}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), Email(f)), w.org.ToString()};
       }},
      {"employee_limit_invited_holds_a_seat", Rule::kEmployeeLimit, [](F& f) { return Base(f, 2); },
       [](F& f, World& w) { return Attempt{f.Invited(w.org, NewId(), Email(f))}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), Email(f)), w.org.ToString()};
       }},
      {"employee_limit_offboarding_frees_a_seat", Rule::kEmployeeLimit,
       [](F& f) {
         World w = Base(f, 2);
         f.Accept(f.Offboarded(w.org, f.AddEmployee(w.org)));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f))}; },
       [](F& f, World& w) {
         return Attempt{f.Hired(w.org, NewId(), Email(f)), w.org.ToString()};
       }},
      {"employee_limit_plan_below_headcount", Rule::kEmployeeLimit,
       [](F& f) {
         World w = Base(f);
         f.AddEmployee(w.org);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{
             f.Event(w.org, fb::CreateOrganizationPlanChangedDirect(f.fbb(), "team", 2))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateOrganizationPlanChangedDirect(f.fbb(), "team", 1)),
                        "max_employees 1"};
       }},

      {"agent_limit", Rule::kAgentLimit,
       [](F& f) {
         World w = Base(f, 0, 2);
         w["template"] = f.AddTemplate(w.org, false);
         f.AddAgent(w.org, w["employee"], w["template"]);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["template"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["template"]),
                        w["employee"]};
       }},
      {"agent_limit_revoking_frees_a_slot", Rule::kAgentLimit,
       [](F& f) {
         World w = Base(f, 0, 1);
         w["template"] = f.AddTemplate(w.org, false);
         f.Accept(f.AgentRevoked(w.org, f.AddAgent(w.org, w["employee"], w["template"])));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["template"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["template"]),
                        w["employee"]};
       }},
      {"agent_limit_paused_agent_holds_a_slot", Rule::kAgentLimit,
       [](F& f) {
         World w = Base(f, 0, 1);
         w["template"] = f.AddTemplate(w.org, false);
         f.Accept(f.AgentPaused(w.org, f.AddAgent(w.org, w["employee"], w["template"])));
         w["colleague"] = f.AddEmployee(w.org);
         return w;
       },
       // The limit is per employee.
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["colleague"], w["template"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["template"]),
                        w["employee"]};
       }},
  };
}

std::vector<Case> UsabilityCases() {
  return {
      {"template_not_usable_private_of_other_org", Rule::kTemplateNotUsable,
       [](F& f) {
         World w = Base(f);
         w["public"] = f.AddTemplate(w.other, true);
         w["private"] = f.AddTemplate(w.other, false);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["public"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["private"]), w["private"]};
       }},
      {"template_not_usable_made_private", Rule::kTemplateNotUsable,
       [](F& f) {
         World w = Base(f);
         w["own_private"] = f.AddTemplate(w.org, false);
         w["theirs"] = f.AddTemplate(w.other, true);
         f.Accept(f.Event(w.other, fb::CreateAgentTemplateUpdatedDirect(
                                       f.fbb(), w["theirs"].c_str(), "now private", "coding",
                                       nullptr, nullptr, nullptr, nullptr, nullptr, false)));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["own_private"])};
       },
       [](F& f, World& w) {
         return Attempt{f.AgentAssigned(w.org, NewId(), w["employee"], w["theirs"]), w["theirs"]};
       }},
      {"mcp_server_not_approved", Rule::kMcpServerNotApproved,
       [](F& f) {
         World w = Base(f);
         w["approved"] = f.AddMcpServer(w.org, true);
         w["pending"] = f.AddMcpServer(w.org, false);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.McpConfigured(w.org, NewId(), w["employee"], w["approved"])};
       },
       [](F& f, World& w) {
         return Attempt{f.McpConfigured(w.org, NewId(), w["employee"], w["pending"]), w["pending"]};
       }},
  };
}

std::vector<Case> ApprovalCases() {
  return {
      {"not_approver_role_cannot_approve", Rule::kNotApprover, [](F& f) { return Approvals(f, 2); },
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["request"], w["approver"])}; },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["request"], w["member"]), w["member"]};
       }},
      {"not_approver_without_role", Rule::kNotApprover,
       [](F& f) {
         World w = Approvals(f, 2);
         w["roleless"] = f.AddEmployee(w.org);
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["request"], w["approver"])}; },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["request"], w["roleless"]), w["roleless"]};
       }},
      {"not_approver_after_role_lost_approving", Rule::kNotApprover,
       [](F& f) {
         World w = Approvals(f, 2);
         std::string role = f.AddRole(w.org, true);
         w["demoted"] = f.AddEmployee(w.org, role);
         f.Accept(f.Event(
             w.org, fb::CreateRolePermissionsChangedDirect(f.fbb(), role.c_str(), "[]", false)));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["request"], w["approver"])}; },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["request"], w["demoted"]), w["demoted"]};
       }},
      {"self_approval", Rule::kSelfApproval,
       [](F& f) {
         World w = Approvals(f, 2);
         w["own_request"] = f.AddRequest(w.org, w["approver"], 2);
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["own_request"], w["approver2"])}; },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["own_request"], w["approver"]), w["approver"]};
       }},
      {"request_not_pending_after_rejection", Rule::kRequestNotPending,
       [](F& f) { return Approvals(f, 2); },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["request"], w["approver"], Decision::Reject)};
       },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["request"], w["approver2"]), w["request"]};
       }},
      {"request_not_pending_cancel_after_approval", Rule::kRequestNotPending,
       [](F& f) { return Approvals(f, 1); },
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["request"], w["approver"])}; },
       [](F& f, World& w) {
         return Attempt{f.RequestCancelled(w.org, w["request"]), w["request"]};
       }},
      {"request_not_pending_vote_after_cancel", Rule::kRequestNotPending,
       [](F& f) { return Approvals(f, 1); },
       [](F& f, World& w) { return Attempt{f.RequestCancelled(w.org, w["request"])}; },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["request"], w["approver"]), w["request"]};
       }},
      {"already_voted", Rule::kAlreadyVoted, [](F& f) { return Approvals(f, 3); },
       [](F& f, World& w) { return Attempt{f.Vote(w.org, w["request"], w["approver"])}; },
       [](F& f, World& w) {
         return Attempt{f.Vote(w.org, w["request"], w["approver"], Decision::Reject),
                        w["approver"]};
       }},
  };
}

std::vector<Case> AmountCases() {
  return {
      {"negative_amount_quantity", Rule::kNegativeAmount, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.Usage(w.org, w["employee"], 0, 0)}; },
       [](F& f, World& w) {
         return Attempt{f.Usage(w.org, w["employee"], 0, -1), "quantity is -1"};
       }},
      {"negative_amount_cost", Rule::kNegativeAmount, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.Usage(w.org, w["employee"], 0)}; },
       [](F& f, World& w) {
         return Attempt{f.Usage(w.org, w["employee"], -1), "cost_micros is -1"};
       }},
      {"negative_amount_budget", Rule::kNegativeAmount, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.SubscriptionStarted(w.org, NewId(), 0)}; },
       [](F& f, World& w) {
         return Attempt{f.SubscriptionStarted(w.org, NewId(), -1), "monthly_budget_micros is -1"};
       }},
      {"overflow_employee_spending", Rule::kOverflow,
       [](F& f) {
         World w = Base(f);
         f.Accept(f.Usage(w.org, w["employee"], kMaxMoney - 10));
         return w;
       },
       // Exactly INT64_MAX is still representable.
       [](F& f, World& w) { return Attempt{f.Usage(w.org, w["employee"], 10)}; },
       [](F& f, World& w) {
         return Attempt{f.Usage(w.org, w["employee"], 1), w["employee"]};
       }},
      {"overflow_subscription_spending", Rule::kOverflow,
       [](F& f) {
         World w = Base(f);
         w["subscription"] = f.AddSubscription(w.org, 0);
         w["colleague"] = f.AddEmployee(w.org);
         f.Accept(f.Usage(w.org, w["employee"], kMaxMoney - 5));
         return w;
       },
       // The colleague's own total is tiny: only the org-wide sum overflows.
       [](F& f, World& w) { return Attempt{f.Usage(w.org, w["colleague"], 5)}; },
       [](F& f, World& w) {
         return Attempt{f.Usage(w.org, w["colleague"], 1), w["subscription"]};
       }},
  };
}

std::vector<Case> StateCases() {
  return {
      {"dependency_cycle_three_tasks", Rule::kDependencyCycle,
       [](F& f) {
         World w = Base(f);
         std::string mission = f.AddMission(w.org, w["employee"]);
         for (const char* task : {"a", "b", "c"}) w[task] = f.AddTask(w.org, mission);
         f.Accept(f.DependsOn(w.org, w["a"], w["b"]));
         f.Accept(f.DependsOn(w.org, w["b"], w["c"]));
         return w;
       },
       // A shortcut along the existing direction closes nothing.
       [](F& f, World& w) { return Attempt{f.DependsOn(w.org, w["a"], w["c"])}; },
       [](F& f, World& w) {
         return Attempt{f.DependsOn(w.org, w["c"], w["a"]), w["c"]};
       }},
      {"dependency_cycle_self", Rule::kDependencyCycle,
       [](F& f) {
         World w = Base(f);
         std::string mission = f.AddMission(w.org, w["employee"]);
         w["a"] = f.AddTask(w.org, mission);
         w["b"] = f.AddTask(w.org, mission);
         return w;
       },
       [](F& f, World& w) { return Attempt{f.DependsOn(w.org, w["a"], w["b"])}; },
       [](F& f, World& w) {
         return Attempt{f.DependsOn(w.org, w["a"], w["a"]), w["a"]};
       }},

      {"invalid_transition_pause_paused_agent", Rule::kInvalidTransition,
       [](F& f) {
         World w = Base(f);
         w["agent"] = f.AddAgent(w.org, w["employee"], f.AddTemplate(w.org, false));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.AgentPaused(w.org, w["agent"])}; },
       [](F& f, World& w) {
         return Attempt{f.AgentPaused(w.org, w["agent"]), w["agent"]};
       }},
      {"invalid_transition_start_completed_task", Rule::kInvalidTransition,
       [](F& f) {
         World w = Base(f);
         std::string mission = f.AddMission(w.org, w["employee"]);
         w["done"] = f.AddTask(w.org, mission);
         w["pending"] = f.AddTask(w.org, mission);
         f.Accept(f.Event(w.org, fb::CreateTaskStartedDirect(f.fbb(), w["done"].c_str())));
         f.Accept(f.Event(w.org, fb::CreateTaskCompletedDirect(f.fbb(), w["done"].c_str())));
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateTaskStartedDirect(f.fbb(), w["pending"].c_str()))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateTaskStartedDirect(f.fbb(), w["done"].c_str())),
                        w["done"]};
       }},
      {"invalid_transition_suspend_suspended", Rule::kInvalidTransition,
       [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.Suspended(w.org, w["employee"])}; },
       [](F& f, World& w) {
         return Attempt{f.Suspended(w.org, w["employee"]), w["employee"]};
       }},
      {"invalid_transition_forget_twice", Rule::kInvalidTransition, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.Forgotten(w.org, w["employee"])}; },
       [](F& f, World& w) {
         return Attempt{f.Forgotten(w.org, w["employee"]), w["employee"]};
       }},

      // The read models keep both limits as integer.
      {"invalid_value_max_employees_beyond_integer", Rule::kInvalidValue,
       [](F& f) { return Base(f); },
       [](F& f, World&) {
         return Attempt{f.OrgCreated(Uuid::Random(), f.Unique("wide"), 2'147'483'647)};
       },
       [](F& f, World&) {
         return Attempt{f.OrgCreated(Uuid::Random(), f.Unique("wide"), 2'147'483'648u),
                        "max_employees 2147483648"};
       }},
      {"invalid_value_max_agents_beyond_integer_by_plan", Rule::kInvalidValue,
       [](F& f) { return Base(f); },
       [](F& f, World& w) {
         return Attempt{f.Event(
             w.org, fb::CreateOrganizationPlanChangedDirect(f.fbb(), "team", 0, 2'147'483'647))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateOrganizationPlanChangedDirect(f.fbb(), "team", 0,
                                                                               4'294'967'295u)),
                        "max_agents_per_employee 4294967295"};
       }},
      {"invalid_value_required_approvals_zero", Rule::kInvalidValue, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.RequestSubmitted(w.org, NewId(), w["employee"], 1)}; },
       [](F& f, World& w) {
         return Attempt{f.RequestSubmitted(w.org, NewId(), w["employee"], 0), "required_approvals"};
       }},
      {"invalid_value_mcp_config_of_other_employee", Rule::kInvalidValue,
       [](F& f) {
         World w = Base(f);
         std::string server = f.AddMcpServer(w.org);
         w["config1"] = f.AddMcpConfig(w.org, w["employee"], server);
         w["config2"] = f.AddMcpConfig(w.org, w["employee"], server);
         w["colleague"] = f.AddEmployee(w.org);
         return w;
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateEmployeeMcpRemovedDirect(
                                           f.fbb(), w["config1"].c_str(), w["employee"].c_str()))};
       },
       [](F& f, World& w) {
         return Attempt{f.Event(w.org, fb::CreateEmployeeMcpRemovedDirect(
                                           f.fbb(), w["config2"].c_str(), w["colleague"].c_str())),
                        w["config2"]};
       }},
      {"invalid_value_sealed_for_another_subject", Rule::kInvalidValue,
       [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f))}; },
       [](F& f, World& w) {
         std::string id = NewId();
         auto email = f.Seal(w["employee"], Email(f));  // the wrong person's key
         return Attempt{f.Event(w.org, fb::CreateEmployeeHiredDirect(f.fbb(), id.c_str(), nullptr,
                                                                     nullptr, email)),
                        id};
       }},
      {"invalid_value_seal_request_not_text", Rule::kInvalidValue, [](F& f) { return Base(f); },
       [](F& f, World& w) { return Attempt{HiredByRequest(f, w.org, "zo\xC3\xAB@example.com")}; },
       [](F& f, World& w) {
         return Attempt{HiredByRequest(f, w.org, "zo\xEB@example.com"),
                        "is not UTF-8 text without NUL (byte 2)"};
       }},

      {"subject_forgotten_employee", Rule::kSubjectForgotten,
       [](F& f) {
         World w = Base(f);
         // Sealed while the key exists; once forgotten nothing can be sealed.
         w.kept = f.Event(
             w.org, fb::CreateMissionStartedDirect(f.fbb(), NewId().c_str(), w["employee"].c_str(),
                                                   "Review", f.Seal(w["employee"], "what I want")));
         f.Accept(f.Forgotten(w.org, w["employee"]));
         return w;
       },
       // The employee may still act; only personal data about them is refused.
       [](F& f, World& w) { return Attempt{f.MissionStarted(w.org, NewId(), w["employee"])}; },
       [](F&, World& w) {
         return Attempt{w.kept, w["employee"]};
       }},
      {"subject_forgotten_before_hire", Rule::kSubjectForgotten,
       [](F& f) {
         World w = Base(f);
         // Invited, so the org holds personal data about them and may
         // forget them; their joining, sealed before the forget, is then
         // refused.
         w["person"] = NewId();
         f.Accept(f.Invited(w.org, w["person"], Email(f)));
         w.kept =
             f.Event(w.org, fb::CreateEmployeeJoined(f.fbb(), f.fbb().CreateString(w["person"]),
                                                     f.Seal(w["person"], "Ada L.")));
         f.Accept(f.Forgotten(w.org, w["person"]));
         return w;
       },
       [](F& f, World& w) { return Attempt{f.Hired(w.org, NewId(), Email(f))}; },
       [](F&, World& w) {
         return Attempt{w.kept, w["person"]};
       }},
  };
}

std::vector<Case> Cases() {
  std::vector<Case> all;
  for (const std::vector<Case>& part :
       {FormatCases(), OrgCases(), ReferenceCases(), UniqueNameCases(), IdentityCases(),
        ActiveEmployeeCases(), LimitCases(), UsabilityCases(), ApprovalCases(), AmountCases(),
        StateCases()}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

// One ledger serves every row: opening RocksDB costs more than a row's
// commands, and rows cannot disturb each other because each makes its own
// orgs (with unique slugs, and random ids for everything global).
class RulesTable : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() { shared_ = std::make_unique<F>(); }
  static void TearDownTestSuite() { shared_.reset(); }
  static inline std::unique_ptr<F> shared_;
};

TEST_P(RulesTable, AcceptsTheNearMissAndRejectsTheBreak) {
  const Case& c = GetParam();
  F& f = *shared_;
  World w = c.setup(f);
  ASSERT_FALSE(HasFailure()) << "setup failed";

  Attempt near_miss = c.accepted(f, w);
  CommandResult accepted = f.Submit(near_miss.event, near_miss.expected_version);
  ASSERT_TRUE(accepted.status.ok()) << accepted.status.ToString();
  EXPECT_EQ(accepted.rule, Rule::kNone);
  EXPECT_GE(accepted.event_count, 1u);

  ExpectRejected(f, c.rejected(f, w), c.rule, {w.org, w.other});
}

INSTANTIATE_TEST_SUITE_P(Rules, RulesTable, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(RulesTest, EveryRuleHasARow) {
  std::set<Rule> covered;
  for (const Case& c : Cases()) covered.insert(c.rule);
  // Appended rules get a name; a number past the last one is "unknown".
  for (uint16_t n = 1; std::string(RuleName(static_cast<Rule>(n))) != "unknown"; ++n) {
    EXPECT_TRUE(covered.count(static_cast<Rule>(n))) << RuleName(static_cast<Rule>(n));
  }
}

// --- Derived events and multi-command behaviour ----------------------------------

// The types of the org's events from org sequence `from` on.
std::vector<fb::Payload> Types(F& f, const Uuid& org, uint64_t from) {
  std::vector<fb::Payload> types;
  for (const StoredEvent& event : f.Read(org, from)) types.push_back(event.event()->payload_type());
  return types;
}

state::RequestStatus RequestStatus(F& f, const Uuid& org, const std::string& request) {
  Result<State> state = f.ledger().CurrentState(org);
  EXPECT_TRUE(state.ok());
  return state->agent_requests.find(*Uuid::Parse(request))->second.status;
}

TEST(RulesTest, OneRejectionResolvesTheRequestAtOnce) {
  F f;
  World w = Approvals(f, 2);
  CommandResult vote = f.Accept(f.Vote(w.org, w["request"], w["approver"], Decision::Reject));
  ASSERT_EQ(vote.event_count, 2u);
  std::vector<StoredEvent> events = f.Read(w.org, vote.first_seq);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event()->payload_type(), fb::Payload::ApprovalRecorded);
  const fb::AgentRequestResolved* resolved = events[1].event()->payload_as_AgentRequestResolved();
  ASSERT_NE(resolved, nullptr);
  EXPECT_EQ(resolved->request_id()->str(), w["request"]);
  EXPECT_EQ(resolved->resolution(), fb::RequestResolution::Rejected);
  // The derived event says which command caused it.
  EXPECT_EQ(events[1].event()->envelope()->causation_id()->str(),
            events[0].event()->envelope()->event_id()->str());
  EXPECT_EQ(RequestStatus(f, w.org, w["request"]), state::RequestStatus::Rejected);

  // Final: neither another vote nor a cancellation reopens it.
  ExpectRejected(f, {f.Vote(w.org, w["request"], w["approver2"]), w["request"]},
                 Rule::kRequestNotPending, {w.org});
  ExpectRejected(f, {f.RequestCancelled(w.org, w["request"]), w["request"]},
                 Rule::kRequestNotPending, {w.org});
}

TEST(RulesTest, RequestNeedingTwoApprovalsResolvesOnTheSecond) {
  F f;
  World w = Approvals(f, 2);
  CommandResult first = f.Accept(f.Vote(w.org, w["request"], w["approver"]));
  EXPECT_EQ(first.event_count, 1u);
  EXPECT_EQ(RequestStatus(f, w.org, w["request"]), state::RequestStatus::Pending);

  CommandResult second = f.Accept(f.Vote(w.org, w["request"], w["approver2"]));
  ASSERT_EQ(second.event_count, 2u);
  EXPECT_EQ(Types(f, w.org, second.first_seq),
            (std::vector{fb::Payload::ApprovalRecorded, fb::Payload::AgentRequestResolved}));
  std::vector<StoredEvent> tail = f.Read(w.org, second.first_seq + 1);
  const fb::Event* resolved = tail.front().event();
  EXPECT_EQ(resolved->payload_as_AgentRequestResolved()->resolution(),
            fb::RequestResolution::Approved);
  EXPECT_EQ(RequestStatus(f, w.org, w["request"]), state::RequestStatus::Approved);

  ExpectRejected(f, {f.RequestCancelled(w.org, w["request"]), w["request"]},
                 Rule::kRequestNotPending, {w.org});
  ExpectRejected(f, {f.Vote(w.org, w["request"], w["member"]), w["request"]},
                 Rule::kRequestNotPending, {w.org});
}

TEST(RulesTest, BudgetThresholdsAreRecordedOncePerBillingPeriod) {
  F f;
  World w = Base(f);
  std::string subscription = f.AddSubscription(w.org, 1000);  // period [1000, 2000)
  // Submits usage of `cost`; returns the thresholds (percent, spending,
  // period start) the engine recorded with it.
  auto use = [&](int64_t cost) {
    CommandResult result = f.Accept(f.Usage(w.org, w["employee"], cost));
    std::vector<std::tuple<int, int64_t, int64_t>> crossed;
    std::vector<StoredEvent> events = f.Read(w.org, result.first_seq);
    EXPECT_EQ(events.size(), result.event_count);
    for (size_t i = 1; i < events.size(); ++i) {
      const auto* t = events[i].event()->payload_as_BudgetThresholdCrossed();
      if (t == nullptr) {
        ADD_FAILURE() << "derived " << fb::EnumNamePayload(events[i].event()->payload_type());
        continue;
      }
      EXPECT_EQ(t->subscription_id()->str(), subscription);
      EXPECT_EQ(t->budget_micros(), 1000);
      crossed.emplace_back(t->threshold_percent(), t->spending_micros(), t->billing_period_start());
    }
    return crossed;
  };
  using Crossed = std::vector<std::tuple<int, int64_t, int64_t>>;
  EXPECT_EQ(use(799), Crossed{});
  EXPECT_EQ(use(1), (Crossed{{80, 800, 1000}}));
  EXPECT_EQ(use(199), Crossed{});  // 999: 80 % is already recorded
  EXPECT_EQ(use(1), (Crossed{{100, 1000, 1000}}));
  EXPECT_EQ(use(500), Crossed{});  // over budget, already recorded

  f.Accept(f.PeriodRolled(w.org, subscription, 2000, 3000));
  // A new period starts from zero; one usage may cross both thresholds.
  EXPECT_EQ(use(1000), (Crossed{{80, 1000, 2000}, {100, 1000, 2000}}));
  EXPECT_EQ(use(1), Crossed{});

  std::vector<fb::Payload> all = Types(f, w.org, 1);
  EXPECT_EQ(std::count(all.begin(), all.end(), fb::Payload::BudgetThresholdCrossed), 4);
}

TEST(RulesTest, OffboardingRevokesAgentsRemovesMcpConfigsAndCancelsRequests) {
  F f;
  World w = Approvals(f, 1);
  const Uuid& org = w.org;
  const std::string& leaver = w["employee"];
  std::string tmpl = f.AddTemplate(org, false);
  std::string server = f.AddMcpServer(org);
  std::string agent1 = f.AddAgent(org, leaver, tmpl), agent2 = f.AddAgent(org, leaver, tmpl);
  f.Accept(f.AgentRevoked(org, f.AddAgent(org, leaver, tmpl)));  // already gone: not again
  std::string config1 = f.AddMcpConfig(org, leaver, server);
  std::string config2 = f.AddMcpConfig(org, leaver, server);
  std::string removed = f.AddMcpConfig(org, leaver, server);
  f.Accept(
      f.Event(org, fb::CreateEmployeeMcpRemovedDirect(f.fbb(), removed.c_str(), leaver.c_str())));
  std::string request2 = f.AddRequest(org, leaver);
  std::string resolved = f.AddRequest(org, leaver);
  f.Accept(f.Vote(org, resolved, w["approver"]));
  // A colleague's things stay.
  std::string colleague_agent = f.AddAgent(org, w["approver"], tmpl);
  std::string colleague_request = f.AddRequest(org, w["approver"]);
  uint32_t seats_before = f.ledger().CurrentState(org)->seat_holders;

  CommandResult offboarded = f.Accept(f.Offboarded(org, leaver));
  ASSERT_EQ(offboarded.event_count, 7u);
  std::vector<StoredEvent> events = f.Read(org, offboarded.first_seq);
  ASSERT_EQ(events.size(), 7u);
  using P = fb::Payload;
  EXPECT_EQ(Types(f, org, offboarded.first_seq),
            (std::vector{P::EmployeeOffboarded, P::EmployeeAgentRevoked, P::EmployeeAgentRevoked,
                         P::EmployeeMcpRemoved, P::EmployeeMcpRemoved, P::AgentRequestCancelled,
                         P::AgentRequestCancelled}));
  std::set<std::string> revoked, configs, cancelled;
  for (size_t i = 1; i < events.size(); ++i) {
    const fb::Event* e = events[i].event();
    if (auto* p = e->payload_as_EmployeeAgentRevoked()) revoked.insert(p->agent_id()->str());
    if (auto* p = e->payload_as_EmployeeMcpRemoved()) {
      configs.insert(p->mcp_config_id()->str());
      EXPECT_EQ(p->employee_id()->str(), leaver);
    }
    if (auto* p = e->payload_as_AgentRequestCancelled()) cancelled.insert(p->request_id()->str());
  }
  EXPECT_EQ(revoked, (std::set{agent1, agent2}));
  EXPECT_EQ(configs, (std::set{config1, config2}));
  EXPECT_EQ(cancelled, (std::set{w["request"], request2}));

  Result<State> state = f.ledger().CurrentState(org);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->seat_holders, seats_before - 1);
  EXPECT_EQ(state->live_agents_by_employee[*Uuid::Parse(leaver)], 0u);
  EXPECT_EQ(state->employee_agents.at(*Uuid::Parse(colleague_agent)).status,
            state::AgentStatus::Active);
  EXPECT_EQ(RequestStatus(f, org, colleague_request), state::RequestStatus::Pending);
  EXPECT_EQ(RequestStatus(f, org, resolved), state::RequestStatus::Approved);

  // What was taken away stays away.
  ExpectRejected(f, {f.AgentPaused(org, agent1), agent1}, Rule::kNotLive, {org});
  ExpectRejected(f, {f.RequestCancelled(org, request2), request2}, Rule::kRequestNotPending, {org});
  ExpectRejected(f, {f.McpConfigured(org, NewId(), leaver, server), leaver},
                 Rule::kEmployeeNotActive, {org});
  ExpectRejected(f, {f.Offboarded(org, leaver), leaver}, Rule::kInvalidTransition, {org});
}

TEST(RulesTest, ForgettingASubjectErasesTheirDataButNotTheProofs) {
  F f;
  World w = Base(f);
  const std::string& person = w["employee"];
  Uuid subject = *Uuid::Parse(person);
  std::string colleague = f.AddEmployee(w.org);
  // Each employee's EmployeeHired, as the log holds it.
  std::map<std::string, StoredEvent> hired;
  for (StoredEvent& event : f.Read(w.org)) {
    if (auto* p = event.event()->payload_as_EmployeeHired()) hired[p->employee_id()->str()] = event;
  }
  ASSERT_EQ(hired.count(person), 1u);
  auto email_of = [&](const std::string& employee) {
    return f.keys().Open(*hired.at(employee).event()->payload_as_EmployeeHired()->email());
  };
  ASSERT_TRUE(email_of(person).ok());
  ASSERT_TRUE(email_of(person)->has_value());
  std::string sealed_before = f.Suspended(w.org, person);  // no personal field: still allowed
  std::string personal = f.Event(
      w.org, fb::CreateEmployeeSuspendedDirect(f.fbb(), person.c_str(), f.Seal(person, "late")));

  CommandResult forgotten = f.Accept(f.Forgotten(w.org, person));
  EXPECT_EQ(forgotten.event_count, 1u);
  EXPECT_TRUE(f.keys().IsForgotten(subject));
  Result<std::optional<std::string>> email = email_of(person);
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_FALSE(email->has_value());
  EXPECT_TRUE(email_of(colleague)->has_value()) << "only the forgotten subject is erased";
  Status verified = f.log().VerifyOrg(w.org);
  EXPECT_TRUE(verified.ok()) << verified.ToString();
  EXPECT_EQ(f.keys().Seal(subject, "anything").status().code(), Code::kFailedPrecondition);

  ExpectRejected(f, {f.Forgotten(w.org, person), person}, Rule::kInvalidTransition, {w.org});
  ExpectRejected(f, {personal, person}, Rule::kSubjectForgotten, {w.org});
  f.Accept(sealed_before);

  // Durable: a restart neither resurrects the key nor breaks the log.
  f.Reopen();
  EXPECT_TRUE(f.keys().IsForgotten(subject));
  EXPECT_FALSE(email_of(person)->has_value());
  EXPECT_TRUE(f.log().VerifyOrg(w.org).ok());
  ExpectRejected(f, {f.Forgotten(w.org, person), person}, Rule::kInvalidTransition, {w.org});
}

TEST(RulesTest, ExpectedVersionMustMatchTheOrgsVersion) {
  F f;
  World w = Base(f);
  uint64_t version = f.Version(w.org);
  CommandResult matched = f.Submit(f.TeamCreated(w.org, NewId()), version);
  ASSERT_TRUE(matched.status.ok()) << matched.status.ToString();
  EXPECT_EQ(matched.first_seq, version + 1);
  EXPECT_EQ(f.Version(w.org), version + 1);

  for (uint64_t stale : {uint64_t{0}, version, version + 5}) {
    SCOPED_TRACE(stale);
    ExpectRejected(f, {f.TeamCreated(w.org, NewId()), w.org.ToString(), stale},
                   Rule::kVersionConflict, {w.org});
  }
  // A new org is at version 0.
  Uuid fresh = Uuid::Random();
  EXPECT_TRUE(f.Submit(f.OrgCreated(fresh, f.Unique("acme")), 0).status.ok());
}

TEST(RulesTest, IdempotentRetryReplaysTheFirstResult) {
  F f;
  World w = Base(f);
  std::string team = NewId();
  auto create_team = [&](const std::string& event_id, const char* name) {
    return f.Event(Keyed(w.org, "create-platform", event_id),
                   fb::CreateTeamCreatedDirect(f.fbb(), team.c_str(), name));
  };
  CommandResult first = f.Accept(create_team(NewId(), "Platform"));
  uint64_t global = f.log().LastGlobalSeq();
  uint64_t version = f.Version(w.org);

  // Another event_id: a client retrying builds a fresh envelope.
  CommandResult retry = f.Submit(create_team(NewId(), "Platform"));
  ASSERT_TRUE(retry.status.ok()) << retry.status.ToString();
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(retry.first_seq, first.first_seq);
  EXPECT_EQ(retry.event_count, first.event_count);
  EXPECT_TRUE(retry.positions.empty());
  EXPECT_EQ(f.log().LastGlobalSeq(), global);
  EXPECT_EQ(f.Version(w.org), version);

  ExpectRejected(f, {create_team(NewId(), "Finance"), "create-platform"},
                 Rule::kIdempotencyMismatch, {w.org});
}

TEST(RulesTest, IdempotentRetryReplaysDerivedEventsToo) {
  F f;
  World w = Approvals(f, 1);
  std::string approval = NewId();
  auto vote = [&] {
    return f.Event(Keyed(w.org, "vote-1"),
                   fb::CreateApprovalRecordedDirect(f.fbb(), approval.c_str(), w["request"].c_str(),
                                                    w["approver"].c_str(), Decision::Approve));
  };
  CommandResult first = f.Accept(vote());
  ASSERT_EQ(first.event_count, 2u);  // the vote and the resolution
  uint64_t global = f.log().LastGlobalSeq();
  // Deciding the retry afresh would say kRequestNotPending: it must replay.
  CommandResult retry = f.Submit(vote());
  ASSERT_TRUE(retry.status.ok()) << retry.status.ToString();
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(retry.first_seq, first.first_seq);
  EXPECT_EQ(retry.event_count, 2u);
  EXPECT_EQ(f.log().LastGlobalSeq(), global);
}

TEST(RulesTest, IdempotencyKeySurvivesReopen) {
  // 0: the state reloads by replaying the log; 1: from a snapshot.
  for (uint64_t snapshot_every : {0, 1}) {
    SCOPED_TRACE(snapshot_every);
    F f(snapshot_every);
    World w = Base(f);
    std::string team = NewId();
    auto create_team = [&](const char* name) {
      return f.Event(Keyed(w.org, "create-platform"),
                     fb::CreateTeamCreatedDirect(f.fbb(), team.c_str(), name));
    };
    CommandResult first = f.Accept(create_team("Platform"));
    f.Reopen();
    uint64_t global = f.log().LastGlobalSeq();
    CommandResult retry = f.Submit(create_team("Platform"));
    ASSERT_TRUE(retry.status.ok()) << retry.status.ToString();
    EXPECT_TRUE(retry.replayed);
    EXPECT_EQ(retry.first_seq, first.first_seq);
    EXPECT_EQ(retry.event_count, first.event_count);
    EXPECT_EQ(f.log().LastGlobalSeq(), global);
    ExpectRejected(f, {create_team("Finance"), "create-platform"}, Rule::kIdempotencyMismatch,
                   {w.org});
  }
}

TEST(RulesTest, IdempotentRetryWithTheSameExpectedVersionReplays) {
  // A keyed command retried unchanged after its first attempt was appended
  // (its reply lost) must learn it was recorded (replayed), not get a
  // version conflict caused by its own first attempt.
  F f;
  World w = Base(f);
  uint64_t version = f.Version(w.org);
  std::string team = NewId();
  auto create_team = [&] {
    return f.Event(Keyed(w.org, "create-platform"),
                   fb::CreateTeamCreatedDirect(f.fbb(), team.c_str(), "Platform"));
  };
  CommandResult first = f.Submit(create_team(), version);
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  // A retry is the same command: same key, same payload, same expected version.
  CommandResult retry = f.Submit(create_team(), version);
  EXPECT_TRUE(retry.status.ok()) << retry.status.ToString();
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(retry.first_seq, first.first_seq);
}

TEST(RulesTest, BatchAppendsTheAcceptedAroundARejectedOne) {
  F f;
  World w = Base(f);
  std::string team = NewId();
  uint64_t global = f.log().LastGlobalSeq();
  uint64_t version = f.Version(w.org);
  std::string employee = NewId();
  std::vector<CommandResult> results = f.SubmitBatch({
      f.TeamCreated(w.org, team), f.TeamCreated(w.org, team),  // sees the first: a duplicate
      f.Hired(w.org, employee, Email(f), "", team),            // sees the team the first made
  });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_EQ(results[1].rule, Rule::kDuplicateId) << results[1].status.ToString();
  EXPECT_EQ(results[1].status.code(), Code::kRejected);
  EXPECT_TRUE(results[2].status.ok()) << results[2].status.ToString();

  EXPECT_EQ(f.log().LastGlobalSeq(), global + 2);
  EXPECT_EQ(f.Version(w.org), version + 2);
  EXPECT_EQ(results[0].first_seq, version + 1);
  EXPECT_EQ(results[2].first_seq, version + 2);
  EXPECT_EQ(Types(f, w.org, version + 1),
            (std::vector{fb::Payload::TeamCreated, fb::Payload::EmployeeHired}));
  Result<State> state = f.ledger().CurrentState(w.org);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->employees.at(*Uuid::Parse(employee)).team_id, team);
}

TEST(RulesTest, BatchCommandsSeeEarlierOnesAcrossRules) {
  F f;
  Uuid org = Uuid::Random();
  std::string employee = NewId(), tmpl = NewId(), agent = NewId();
  // One batch from nothing: each command needs what the ones before made,
  // and the limit counts the agent assigned earlier in the same batch.
  std::vector<CommandResult> results = f.SubmitBatch({
      f.OrgCreated(org, f.Unique("acme"), 0, 1),
      f.Hired(org, employee, Email(f)),
      f.TemplatePublished(org, tmpl, "reviewer", false),
      f.AgentAssigned(org, agent, employee, tmpl),
      f.AgentAssigned(org, NewId(), employee, tmpl),
      f.AgentPaused(org, agent),
  });
  ASSERT_EQ(results.size(), 6u);
  for (size_t i : {0, 1, 2, 3, 5})
    EXPECT_TRUE(results[i].status.ok()) << i << ": " << results[i].status.ToString();
  EXPECT_EQ(results[4].rule, Rule::kAgentLimit) << results[4].status.ToString();
  EXPECT_EQ(f.Version(org), 5u);
}

TEST(RulesTest, BatchRetryOfAKeyedCommandReplaysTheFirst) {
  F f;
  World w = Base(f);
  std::string team = NewId();
  auto create_team = [&] {
    return f.Event(Keyed(w.org, "create-platform"),
                   fb::CreateTeamCreatedDirect(f.fbb(), team.c_str(), "Platform"));
  };
  uint64_t version = f.Version(w.org);
  std::vector<CommandResult> results = f.SubmitBatch({create_team(), create_team()});
  ASSERT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  ASSERT_TRUE(results[1].status.ok()) << results[1].status.ToString();
  EXPECT_FALSE(results[0].replayed);
  EXPECT_TRUE(results[1].replayed);
  EXPECT_EQ(results[1].first_seq, results[0].first_seq);
  EXPECT_EQ(f.Version(w.org), version + 1);
}

// Subject keys are ledger-wide while forgotten_subjects is per org state; the
// three tests below show where the two disagree.

TEST(RulesTest, AnOrgCannotForgetAnotherOrgsEmployee) {
  // Data keys are ledger-wide: an org may forget only people it holds
  // personal data about, never another org's employee.
  F f;
  Uuid a = f.AddOrg(), b = f.AddOrg();
  std::string theirs = f.AddEmployee(b);
  ExpectRejected(f, {f.Forgotten(a, theirs), theirs}, Rule::kUnknownReference, {a, b});
  EXPECT_FALSE(f.keys().IsForgotten(*Uuid::Parse(theirs)));
}

TEST(RulesTest, DataForASubjectForgottenThroughAnotherOrgIsRefused) {
  // A subject forgotten through one org takes no new personal data in
  // another (the key store, not only the org's state, is consulted).
  F f;
  Uuid a = f.AddOrg(), b = f.AddOrg();
  std::string person = NewId();
  f.Accept(f.Hired(a, person, Email(f)));
  f.Accept(f.Hired(b, person, Email(f)));
  std::string sealed_early =
      f.Event(b, fb::CreateMissionStartedDirect(f.fbb(), NewId().c_str(), person.c_str(), "Review",
                                                f.Seal(person, "what I want")));
  f.Accept(f.Forgotten(a, person));
  ASSERT_TRUE(f.keys().IsForgotten(*Uuid::Parse(person)));
  ExpectRejected(f, {sealed_early, person}, Rule::kSubjectForgotten, {a, b});
}

TEST(RulesTest, ForgottenEmailIsFreeForTheNextCommandInTheSameBatch) {
  // A forget earlier in the same Submit frees the email for a later hire,
  // exactly as if the two were submitted separately.
  F f;
  World w = Base(f);
  std::string email = Email(f);
  std::string forgotten = NewId();
  f.Accept(f.Hired(w.org, forgotten, email));
  std::vector<CommandResult> results =
      f.SubmitBatch({f.Forgotten(w.org, forgotten), f.Hired(w.org, NewId(), email)});
  EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_TRUE(results[1].status.ok()) << results[1].status.ToString();
}

}  // namespace
}  // namespace ledger
