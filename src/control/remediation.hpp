#pragma once
// Auto-remediation of anomaly alerts (issue 36 item 4, docs/ANOMALY.md "Remediation"): per resource, off by
// default, a few safe steps taken while an alert is open, each undone when the alert closes or says why it cannot
// be. The steps:
//   hold_scale_in    capacity does not go below what runs while the alert is open (scale-out still happens)
//   raise_floor      capacity at least desired * (1 + floor_share) for floor_seconds, or until the alert closes
//   retrain          the resource's model is retrained now, with the alert's steps left out (anomaly_mask.hpp);
//                    not undone: the new model is the better one
//   webhook_runbook  POSTs {"event": "remediate", ...} to the runbook URL; {"event": "revert", ...} when it closes
//   rollout_restart  the Kubernetes driver restarts the workload (as kubectl rollout restart); cannot be undone
// In recommend mode each step is recorded as a recommendation (the action log, status planned) and nothing is done,
// so a user sees what auto would do before turning it on. Every step, its undo and a step skipped by the rate limit
// (one start of the same step per resource per min_interval_seconds) are in the action log, each reason naming the
// alert. The state lives in the store (the remediations table), so a restart carries on.
//
// Thread-safety: Review for one resource must not run twice at once (the loop calls it under the resource's lock);
// different resources may be reviewed at once. The hooks run on the calling thread and must be quick (queue work).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/alert.hpp"
#include "core/provider.hpp"
#include "core/remediation.hpp"
#include "core/resource.hpp"
#include "core/telemetry.hpp"
#include "store/store.hpp"

namespace cloudopt {

struct RemediationHooks {
    // Queues a training of the resource now (the job runner). Empty: a retrain step fails saying so.
    std::function<void(const Resource&, const std::string& reason)> retrain;
    // Tells a runbook URL that a step started ("remediate") or was undone ("revert"); the app layer writes the JSON
    // (app/alert_webhook.hpp RunbookPayload) and queues it: it must not block the pass. Empty: the step fails saying
    // so.
    std::function<Status(const std::string& url, const char* event, const Resource& resource, const Remediation& step)>
        post;
};

// The lease the pass reviewing a resource holds (replicas sharing a PostgreSQL store, cluster/ownership.hpp): the
// steps' actions are written with its holder and epoch (the store refuses them once the lease moved on), and a
// rollout restart, a cloud call no transaction can fence, is made only while `still_held` says the lease is still
// this replica's (its call is bounded by the lease too: core/call_deadline.hpp).
struct RemediationLease {
    std::string holder;
    std::int64_t epoch = 0;
    std::function<bool()> still_held;
};

// The capacity floor the active steps keep, and why (names the alert).
struct RemediationFloor {
    int capacity = 0;
    std::string why;
};

class Remediator {
  public:
    // `defaults` apply to resources without their own settings (Store::LoadAnomalySettings).
    Remediator(Store& store, MetricsRegistry& metrics, RemediationSettings defaults, RemediationHooks hooks);

    // Each pass, after the anomaly monitor scored the resource and the provider told what runs (`desired`): starts
    // the configured steps for each open alert that has none yet, undoes the active steps whose alert closed (or
    // whose floor lapsed, or when remediation was turned off), and returns the floor in force, if any. `provider`
    // is asked for a rollout restart (may be null). `lease`: the pass's lease, when replicas share the work (null:
    // one process plans everything).
    Result<std::optional<RemediationFloor>> Review(const Resource& resource, UnixSeconds now, int desired,
                                                   Provider* provider, const RemediationLease* lease = nullptr);

    // The settings in force for the resource: its own, else the defaults.
    RemediationSettings SettingsFor(const Resource& resource);

  private:
    Remediation Start(const Resource& resource, const RemediationSettings& settings, const Alert& alert,
                      const std::string& action, UnixSeconds now, int desired, Provider* provider,
                      const std::vector<Remediation>& history, const RemediationLease* lease);
    Status Undo(const Resource& resource, Remediation& step, const std::string& why, UnixSeconds now, int desired,
                const RemediationSettings& settings, const RemediationLease* lease);
    Status Record(const Resource& resource, const Remediation& step, UnixSeconds now, int desired, bool undo,
                  const RemediationLease* lease);

    Store& store_;
    MetricsRegistry& metrics_;
    RemediationSettings defaults_;
    RemediationHooks hooks_;
};

}  // namespace cloudopt
