// Replicas coordinating through PostgreSQL: membership, leases with fencing epochs, the fenced plan log, the job
// queue (FOR UPDATE SKIP LOCKED) and LISTEN/NOTIFY. Every call is one transaction on a pooled connection; lease and
// heartbeat times are the database's now().

#include "store/postgres/coordination.hpp"

#include <algorithm>
#include <mutex>

#include "store/postgres/connection.hpp"

namespace cloudopt {

namespace {

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; this leaves room for the channel.
constexpr std::size_t kMaxNotifyPayload = 7900;
// Member rows expired this long are removed (they are only kept to show recent departures).
constexpr const char* kForgetMembersAfter = "1 hour";

// A running job's claimer is live: its heartbeat has not expired (an SQL condition on job_queue j).
constexpr const char* kLiveClaimer =
    "(SELECT 1 FROM cluster_members m WHERE m.member_id = j.claimed_by AND m.expires_at > now())";
constexpr const char* kCancelledOnDeadMember = "cancelled: the replica running it stopped before it could end the job";

// A job bound to a resource's lease ({"lease_of": id} params) goes to the lease's live holder ($1) only.
constexpr const char* kLeaseOfClaimer =
    "(CASE WHEN j.params LIKE '{\"lease_of\":%' THEN EXISTS (SELECT 1 FROM resource_leases l WHERE l.resource_id = "
    "(j.params::jsonb->>'lease_of')::bigint AND l.holder = $1 AND l.expires_at > now()) ELSE true END)";

const char* kJobColumns =
    "id, kind, subject, reason, params, state, claimed_by, attempts, progress, result, error, created_at, finished_at, "
    "cancel_requested";

QueuedJob ReadJob(const pqxx::row& row) {
    QueuedJob j;
    j.id = row[0].as<std::int64_t>();
    j.kind = row[1].as<std::string>();
    j.subject = row[2].as<std::string>();
    j.reason = row[3].as<std::string>();
    j.params = row[4].as<std::string>();
    j.state = row[5].as<std::string>();
    j.claimed_by = row[6].as<std::string>();
    j.attempts = row[7].as<std::int64_t>();
    j.progress = row[8].as<double>();
    j.result = row[9].as<std::string>();
    j.error = row[10].as<std::string>();
    j.created_at = row[11].as<std::int64_t>();
    j.finished_at = row[12].as<std::int64_t>();
    j.cancel_requested = row[13].as<bool>();
    return j;
}

std::string BigintArrayOf(std::vector<ResourceId> ids) {
    std::sort(ids.begin(), ids.end());  // rows are locked in id order, so two rounds never deadlock
    return pg::BigintArray(ids);
}

// Collects the payloads a listening connection receives.
class Receiver final : public pqxx::notification_receiver {
  public:
    Receiver(pqxx::connection_base& conn, const std::string& channel) : pqxx::notification_receiver(conn, channel) {}
    void operator()(const std::string& payload, int /*backend_pid*/) override { received.push_back(payload); }
    std::vector<std::string> received;
};

class PostgresCoordination final : public Coordination {
  public:
    explicit PostgresCoordination(pg::ConnSettings settings) : pool_(std::move(settings), kConnections) {}

    Result<LeaseRoundResult> RunLeaseRound(const LeaseRound& round) override {
        return pool_.Transact("a lease round", [&](pqxx::work& tx) -> Result<LeaseRoundResult> {
            tx.exec_params(
                "INSERT INTO cluster_members (member_id, address, heartbeat_at, expires_at) VALUES ($1, $2, now(), "
                "now() + make_interval(secs => $3)) ON CONFLICT (member_id) DO UPDATE SET address = EXCLUDED.address, "
                "heartbeat_at = now(), expires_at = EXCLUDED.expires_at",
                round.member, round.address, round.lease_seconds);
            if (!round.release.empty())
                tx.exec_params(
                    "UPDATE resource_leases SET expires_at = now() WHERE holder = $1 AND resource_id = "
                    "ANY($2::bigint[]) AND expires_at > now()",
                    round.member, BigintArrayOf(round.release));
            if (!round.hold.empty())
                // Renews what this member holds (same epoch) and takes what is free or lapsed (epoch + 1); a lease
                // another member holds and keeps renewing is left alone.
                tx.exec_params(
                    "INSERT INTO resource_leases (resource_id, holder, epoch, expires_at) SELECT r.id, $1, 1, now() + "
                    "make_interval(secs => $2) FROM resources r WHERE r.id = ANY($3::bigint[]) ORDER BY r.id "
                    "ON CONFLICT (resource_id) DO UPDATE SET epoch = CASE WHEN resource_leases.holder = "
                    "EXCLUDED.holder AND resource_leases.expires_at > now() THEN resource_leases.epoch ELSE "
                    "resource_leases.epoch + 1 END, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
                    "WHERE resource_leases.holder = EXCLUDED.holder OR resource_leases.expires_at <= now()",
                    round.member, round.lease_seconds, BigintArrayOf(round.hold));
            LeaseRoundResult out;
            for (const auto& row : tx.exec("SELECT member_id FROM cluster_members WHERE expires_at > now() ORDER BY "
                                           "member_id"))
                out.members.push_back(row[0].as<std::string>());
            for (const auto& row : tx.exec("SELECT id FROM resources ORDER BY id"))
                out.resources.push_back(row[0].as<std::int64_t>());
            // With the last tick planned (by anyone): a lease taken over is used from the tick after it, so the old
            // and the new holder never plan the same tick.
            for (const auto& row : tx.exec_params(
                     "SELECT l.resource_id, l.epoch, coalesce((SELECT max(p.tick) FROM plan_log p WHERE p.resource_id "
                     "= l.resource_id), -1) FROM resource_leases l WHERE l.holder = $1 AND l.expires_at > now() ORDER "
                     "BY l.resource_id",
                     round.member))
                out.held.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>()});
            tx.exec(std::string("DELETE FROM cluster_members WHERE expires_at < now() - interval '") +
                    kForgetMembersAfter + "'");
            return out;
        });
    }

    Status Leave(const std::string& member) override {
        return pool_.Transact("leaving the cluster", [&](pqxx::work& tx) -> Status {
            tx.exec_params("UPDATE resource_leases SET expires_at = now() WHERE holder = $1 AND expires_at > now()",
                           member);
            tx.exec_params("DELETE FROM cluster_members WHERE member_id = $1", member);
            return Status::Ok();
        });
    }

    Status RecordPlan(ResourceId id, std::int64_t tick, UnixSeconds ts, const std::string& member,
                      std::int64_t epoch) override {
        return pool_.Transact("recording a planning pass", [&](pqxx::work& tx) -> Status {
            // FOR SHARE: a member taking the lease over (an UPDATE of this row) waits until this commits, so every
            // plan row of an epoch commits before the next epoch exists.
            const pqxx::result r = tx.exec_params(
                "WITH lease AS (SELECT 1 FROM resource_leases WHERE resource_id = $1 AND holder = $4 AND epoch = $5 "
                "AND expires_at > now() FOR SHARE) INSERT INTO plan_log (resource_id, tick, ts, holder, epoch) "
                "SELECT $1, $2, $3, $4, $5 FROM lease",
                id, tick, ts, member, epoch);
            if (r.affected_rows() == 0)
                return MakeError(ErrorCode::kConflict, "the lease of resource " + std::to_string(id) + " at epoch " +
                                                           std::to_string(epoch) +
                                                           " is no longer this replica's: another replica plans it");
            return Status::Ok();
        });
    }

    Result<std::vector<MemberInfo>> ListMembers() override {
        return pool_.Transact("listing members", [&](pqxx::work& tx) -> Result<std::vector<MemberInfo>> {
            std::vector<MemberInfo> out;
            for (const auto& row : tx.exec("SELECT member_id, address, extract(epoch FROM now() - heartbeat_at) FROM "
                                           "cluster_members WHERE expires_at > now() ORDER BY member_id"))
                out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<double>()});
            return out;
        });
    }

    Result<std::vector<LeaseInfo>> ListLeases() override {
        return pool_.Transact("listing leases", [&](pqxx::work& tx) -> Result<std::vector<LeaseInfo>> {
            std::vector<LeaseInfo> out;
            for (const auto& row : tx.exec("SELECT resource_id, holder, epoch, expires_at > now() FROM resource_leases "
                                           "ORDER BY resource_id"))
                out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::int64_t>(),
                               row[3].as<bool>()});
            return out;
        });
    }

    Result<QueuedJob> EnqueueJob(const QueuedJob& job) override {
        return pool_.Transact("queueing a job", [&](pqxx::work& tx) -> Result<QueuedJob> {
            // The partial unique index keeps one active job per (kind, subject) against concurrent enqueuers.
            const pqxx::result inserted = tx.exec_params(
                std::string("INSERT INTO job_queue (kind, subject, reason, params, state, created_at) VALUES ($1, $2, "
                            "$3, $4, 'queued', $5) ON CONFLICT (kind, subject) WHERE state IN ('queued','running') DO "
                            "NOTHING RETURNING ") +
                    kJobColumns,
                job.kind, job.subject, job.reason, job.params, job.created_at);
            if (!inserted.empty()) return ReadJob(inserted[0]);
            const pqxx::result active =
                tx.exec_params(std::string("SELECT ") + kJobColumns +
                                   " FROM job_queue WHERE kind = $1 AND subject = $2 AND state IN ('queued','running')",
                               job.kind, job.subject);
            if (active.empty())
                return MakeError(ErrorCode::kConflict, "a " + job.kind + " job for " + job.subject +
                                                           " finished while this one was queued; ask again");
            QueuedJob existing = ReadJob(active[0]);
            existing.id = -existing.id;  // negative: not created now (the caller flips it back)
            return existing;
        });
    }

    Result<std::optional<QueuedJob>> ClaimJob(const std::string& member, const std::vector<std::string>& kinds,
                                              UnixSeconds now) override {
        return pool_.Transact("claiming a job", [&](pqxx::work& tx) -> Result<std::optional<QueuedJob>> {
            std::string kind_list;
            for (const std::string& k : kinds) {
                if (!kind_list.empty()) kind_list += ',';  // appended apart: g++ 12 -O2 warns -Wrestrict on a + b
                kind_list += tx.quote(k);
            }
            if (kind_list.empty()) return std::optional<QueuedJob>{};
            // A running job asked to stop whose member died is never claimed again (it is not to run): it ends here,
            // cancelled, instead of staying "running" for ever.
            tx.exec_params(std::string("UPDATE job_queue j SET state = 'cancelled', finished_at = $1, error = ") +
                               tx.quote(kCancelledOnDeadMember) + " WHERE j.kind IN (" + kind_list +
                               ") AND j.state = 'running' AND j.cancel_requested AND NOT EXISTS " + kLiveClaimer,
                           now);
            // Queued jobs, and running ones whose member's heartbeat expired (it died): taken over, attempts + 1.
            const pqxx::result rows = tx.exec_params(
                std::string("WITH next AS (SELECT j.id FROM job_queue j WHERE j.kind IN (") + kind_list +
                    ") AND NOT j.cancel_requested AND " + kLeaseOfClaimer +
                    " AND (j.state = 'queued' OR (j.state = 'running' AND NOT EXISTS "
                    "(SELECT 1 FROM cluster_members m WHERE m.member_id = j.claimed_by AND m.expires_at > now()))) "
                    "ORDER BY j.id LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE job_queue SET state = 'running', "
                    "claimed_by = $1, attempts = attempts + 1, progress = 0 FROM next WHERE job_queue.id = next.id "
                    "RETURNING " +
                    Prefixed("job_queue.", kJobColumns),
                member);
            if (rows.empty()) return std::optional<QueuedJob>{};
            return std::optional<QueuedJob>(ReadJob(rows[0]));
        });
    }

    Result<QueuedJob> UpdateJob(const QueuedJob& job, const std::string& member) override {
        return pool_.Transact("updating a job", [&](pqxx::work& tx) -> Result<QueuedJob> {
            const pqxx::result rows = tx.exec_params(
                std::string("UPDATE job_queue SET state = $3, progress = $4, result = $5, error = $6, finished_at = "
                            "$7 WHERE id = $1 AND claimed_by = $2 AND state = 'running' RETURNING ") +
                    kJobColumns,
                job.id, member, job.state, job.progress, job.result, job.error, job.finished_at);
            if (rows.empty())
                return MakeError(ErrorCode::kConflict, "job " + std::to_string(job.id) +
                                                           " is no longer this replica's (taken over or finished)");
            return ReadJob(rows[0]);
        });
    }

    Result<std::optional<QueuedJob>> GetJob(std::int64_t id) override {
        return pool_.Transact("reading a job", [&](pqxx::work& tx) -> Result<std::optional<QueuedJob>> {
            const pqxx::result rows =
                tx.exec_params(std::string("SELECT ") + kJobColumns + " FROM job_queue WHERE id = $1", id);
            if (rows.empty()) return std::optional<QueuedJob>{};
            return std::optional<QueuedJob>(ReadJob(rows[0]));
        });
    }

    Result<std::vector<QueuedJob>> ListJobs(std::size_t limit) override {
        return pool_.Transact("listing jobs", [&](pqxx::work& tx) -> Result<std::vector<QueuedJob>> {
            std::vector<QueuedJob> out;
            for (const auto& row :
                 tx.exec_params(std::string("SELECT ") + kJobColumns + " FROM job_queue ORDER BY id DESC LIMIT $1",
                                static_cast<std::int64_t>(limit)))
                out.push_back(ReadJob(row));
            return out;
        });
    }

    Result<QueuedJob> CancelJob(std::int64_t id, UnixSeconds now) override {
        return pool_.Transact("cancelling a job", [&](pqxx::work& tx) -> Result<QueuedJob> {
            // A queued job, or a running one whose member died (no one would ever see the request), ends at once.
            const std::string ends_now = std::string("(j.state = 'queued' OR NOT EXISTS ") + kLiveClaimer + ")";
            const pqxx::result rows = tx.exec_params(
                std::string("UPDATE job_queue j SET cancel_requested = true, state = CASE WHEN ") + ends_now +
                    " THEN 'cancelled' ELSE j.state END, finished_at = CASE WHEN " + ends_now +
                    " THEN $2 ELSE j.finished_at END, error = CASE WHEN j.state = 'running' AND " + ends_now +
                    " THEN " + tx.quote(kCancelledOnDeadMember) +
                    " ELSE j.error END WHERE j.id = $1 AND j.state IN ('queued','running') RETURNING " +
                    Prefixed("j.", kJobColumns),
                id, now);
            if (!rows.empty()) return ReadJob(rows[0]);
            const pqxx::result found =
                tx.exec_params(std::string("SELECT ") + kJobColumns + " FROM job_queue WHERE id = $1", id);
            if (found.empty()) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " does not exist");
            return MakeError(ErrorCode::kConflict,
                             "job " + std::to_string(id) + " already finished (" + found[0][5].as<std::string>() + ")");
        });
    }

    Result<std::int64_t> PruneHistory(std::chrono::seconds keep, UnixSeconds now) override {
        return pool_.Transact("pruning the plan log and finished jobs", [&](pqxx::work& tx) -> Result<std::int64_t> {
            const auto seconds = static_cast<std::int64_t>(keep.count());
            const pqxx::result plans =
                tx.exec_params("DELETE FROM plan_log WHERE recorded_at < now() - make_interval(secs => $1)", seconds);
            const pqxx::result jobs = tx.exec_params(
                "DELETE FROM job_queue WHERE state IN ('succeeded','failed','cancelled') AND finished_at < $1",
                now - seconds);
            return static_cast<std::int64_t>(plans.affected_rows() + jobs.affected_rows());
        });
    }

    Result<std::string> AgreeOnKey(const std::string& name, const std::string& key_id,
                                   const std::vector<std::string>& replaces) override {
        return pool_.Transact("checking the shared keys", [&](pqxx::work& tx) -> Result<std::string> {
            tx.exec_params("INSERT INTO cluster_keys (name, key_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                           name, key_id);
            std::string recorded =
                tx.exec_params1("SELECT key_id FROM cluster_keys WHERE name = $1 FOR UPDATE", name)[0]
                    .as<std::string>();
            if (recorded != key_id && std::find(replaces.begin(), replaces.end(), recorded) != replaces.end()) {
                tx.exec_params("UPDATE cluster_keys SET key_id = $2, recorded_at = now() WHERE name = $1", name,
                               key_id);
                recorded = key_id;
            }
            return recorded;
        });
    }

    Result<SharedAdoption> RecordAdoption(const SharedAdoption& a) override {
        return pool_.Transact("recording the adopted setting", [&](pqxx::work& tx) -> Result<SharedAdoption> {
            const pqxx::row row = tx.exec_params1(
                "INSERT INTO adopted_settings (quantile, unmet_budget, reason, evidence, evidence_summary, member) "
                "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, extract(epoch FROM adopted_at)::bigint",
                std::string(QuantileLevelName(a.quantile)), a.unmet_budget, a.reason, a.evidence, a.evidence_summary,
                a.member);
            SharedAdoption out = a;
            out.id = row[0].as<std::int64_t>();
            out.adopted_at = row[1].as<std::int64_t>();
            return out;
        });
    }

    Result<std::optional<SharedAdoption>> LatestAdoption() override {
        return pool_.Transact(
            "reading the adopted setting", [&](pqxx::work& tx) -> Result<std::optional<SharedAdoption>> {
                const pqxx::result rows = tx.exec(
                    "SELECT id, quantile, unmet_budget, reason, evidence, evidence_summary, member, extract(epoch FROM "
                    "adopted_at)::bigint FROM adopted_settings ORDER BY id DESC LIMIT 1");
                if (rows.empty()) return std::optional<SharedAdoption>{};
                const pqxx::row& row = rows[0];
                SharedAdoption a;
                a.id = row[0].as<std::int64_t>();
                const auto level = ParseQuantileLevel(row[1].as<std::string>());
                if (!level)
                    return MakeError(ErrorCode::kInternal, "adopted_settings row " + std::to_string(a.id) +
                                                               " names an unknown quantile '" +
                                                               row[1].as<std::string>() + "'");
                a.quantile = *level;
                a.unmet_budget = row[2].as<double>();
                a.reason = row[3].as<std::string>();
                a.evidence = row[4].as<std::string>();
                a.evidence_summary = row[5].as<std::string>();
                a.member = row[6].as<std::string>();
                a.adopted_at = row[7].as<std::int64_t>();
                return std::optional<SharedAdoption>(std::move(a));
            });
    }

    Status Notify(const std::string& payload) override {
        if (payload.size() > kMaxNotifyPayload)
            return MakeError(ErrorCode::kInvalidArgument, "a notification carries at most " +
                                                              std::to_string(kMaxNotifyPayload) + " bytes, not " +
                                                              std::to_string(payload.size()));
        return pool_.Transact("notifying the other replicas", [&](pqxx::work& tx) -> Status {
            tx.exec_params("SELECT pg_notify($1, $2)", std::string(kClusterChannel), payload);
            return Status::Ok();
        });
    }

    Result<std::vector<std::string>> AwaitNotifications(std::chrono::milliseconds timeout) override {
        std::lock_guard lock(listen_mutex_);
        try {
            if (!listener_) {
                auto conn = pg::Connect(pool_.settings());
                if (!conn) return conn.error();
                listener_ = std::move(*conn);
                receiver_ = std::make_unique<Receiver>(*listener_, kClusterChannel);
            }
            const long ms = static_cast<long>(timeout.count());
            if (listener_->get_notifs() == 0) listener_->await_notification(ms / 1000, (ms % 1000) * 1000);
            std::vector<std::string> out;
            out.swap(receiver_->received);
            return out;
        } catch (const std::exception& e) {
            receiver_.reset();
            listener_.reset();  // the next call listens on a new connection
            return pg::ErrorFromException(e, "listening for the other replicas' events");
        }
    }

  private:
    static constexpr int kConnections = 3;

    static std::string Prefixed(const std::string& prefix, const std::string& columns) {
        std::string out;
        std::size_t start = 0;
        while (start < columns.size()) {
            std::size_t comma = columns.find(',', start);
            if (comma == std::string::npos) comma = columns.size();
            std::string name = columns.substr(start, comma - start);
            name.erase(0, name.find_first_not_of(' '));
            out += (out.empty() ? "" : ", ") + prefix + name;
            start = comma + 1;
        }
        return out;
    }

    pg::Pool pool_;
    std::mutex listen_mutex_;
    std::unique_ptr<pqxx::connection> listener_;  // guarded by listen_mutex_
    std::unique_ptr<Receiver> receiver_;          // guarded by listen_mutex_; declared after: destroyed first
};

}  // namespace

Result<std::unique_ptr<Coordination>> OpenPostgresCoordination(const PostgresOptions& options) {
    auto settings = pg::MakeConnSettings(options.url, options.password);
    if (!settings) return settings.error();
    auto probe = pg::Connect(*settings);  // a clear error at start rather than at the first lease round
    if (!probe) return probe.error();
    return std::unique_ptr<Coordination>(std::make_unique<PostgresCoordination>(std::move(*settings)));
}

}  // namespace cloudopt
