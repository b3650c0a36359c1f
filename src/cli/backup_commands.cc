// wharf backup create | list | show | restore | download | delete, and wharf backup schedule
// set | show | delete | run: database backups of a service (docs/backups.md). Applications and
// services are given by name or id (--app shop|app_…, --service db|svc_…).
#include <fstream>

#include "cli/command.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

struct Target {
  std::string app, service;
};

void AddTargetFlags(CLI::App* c, Target& t) {
  c->add_option("--app", t.app, "Application name or id (app_…)")->required();
  c->add_option("--service", t.service, "Database service name or id")->required();
}

// Ids pass as given; a service or application name is looked up first.
Result<std::string> BackupsPath(Env& env, const Target& t, const std::string& suffix) {
  std::string app = t.app, service = t.service;
  if (!app.starts_with("app_") || !service.starts_with("svc_")) {
    WHARF_ASSIGN_OR_RETURN(json s, FindService(env, service, app));
    app = s.value("application_id", "");
    service = s.value("id", "");
  }
  return env.OrgPath("/applications/" + EncodeComponent(app) + "/services/" + EncodeComponent(service) + suffix);
}

// A backup storage id, looked up by name unless it is one (bst_…).
Result<std::string> StorageId(Env& env, const std::string& ref) {
  if (ref.starts_with("bst_")) return ref;
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/backup-storage"));
  WHARF_ASSIGN_OR_RETURN(json row, FindRow(items, ref, "/id", "/name", "backup storage", "wharf backup-storage list"));
  return row.value("id", "");
}

Table BackupTable(const std::vector<json>& items) {
  Table t{{"ID", "STATUS", "STORAGE", "TRIGGER", "SIZE", "SHA256", "CREATED"}, {}};
  for (const auto& b : items) {
    std::string sha = b.value("sha256", json()).is_string() ? b["sha256"].get<std::string>().substr(0, 12) : "";
    t.rows.push_back({b.value("id", ""), b.value("status", ""), b.value("storage", ""), b.value("trigger", ""),
                      Cell(b.value("size", json())), sha, Cell(b.value("created_at", json()))});
  }
  return t;
}

Table ScheduleTable(const json& s) {
  Table t{{"FREQUENCY", "RETENTION", "STORAGE", "NEXT RUN", "LAST RUN", "LAST ERROR"}, {}};
  json err = s.value("last_error", json());
  t.rows.push_back({s.value("frequency", ""), Cell(s.value("retention", json())), s.value("storage", ""),
                    Cell(s.value("next_run_at", json())), Cell(s.value("last_run_at", json())),
                    err.is_object() ? err.value("layer", "") + ": " + err.value("message", "") : ""});
  return t;
}

// Prints the started backup/restore, then follows its job when asked.
Status Started(Env& env, const json& b, bool follow, const std::string& what) {
  std::string job = b.contains("job") && b["job"].is_object() ? b["job"].value("id", "") : "";
  if (follow && !job.empty()) {
    env.err() << what << " " << b.value("id", "") << " queued as job " << job << ".\n";
    return FollowJob(env, job);
  }
  env.Done(b, what + " " + b.value("id", "") + " queued as job " + job + " (wharf job log " + job + " --follow).");
  return Ok();
}

}  // namespace

void AddBackupCommands(Registry& r) {
  CLI::App* g = r.Group("backup", "Database backups: on demand, scheduled, restore, download",
                        "wharf backup create --app app_1 --service svc_1 --backup-storage bst_1 --follow");

  struct CreateFlags {
    Target t;
    std::string storage, backup_storage;
    bool follow = false;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* c = r.Command(g, "create", "Back the database up now (internal on the node, or external to a verified storage)",
                          "wharf backup create --app app_1 --service svc_1 --backup-storage bst_1", Scope::kOrg,
                          [cf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, cf->t, "/backups"));
                            json body = json::object();
                            if (!cf->storage.empty()) body["storage"] = cf->storage;
                            if (!cf->backup_storage.empty()) {
                              WHARF_ASSIGN_OR_RETURN(body["backup_storage_id"], StorageId(env, cf->backup_storage));
                            }
                            WHARF_ASSIGN_OR_RETURN(json b, api->Post(path, body));
                            return Started(env, b, cf->follow, "Backup");
                          });
  AddTargetFlags(c, cf->t);
  c->add_option("--storage", cf->storage, "internal or external (default: external with --backup-storage)");
  c->add_option("--backup-storage", cf->backup_storage, "A verified backup storage (name or id)");
  c->add_flag("-f,--follow", cf->follow, "Stream the job's log until it ends");

  auto lt = std::make_shared<Target>();
  CLI::App* l = r.Command(g, "list", "List the service's backups, newest first", "wharf backup list --app app_1 --service svc_1",
                          Scope::kOrg, [lt](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, *lt, "/backups"));
                            WHARF_ASSIGN_OR_RETURN(json j, api->Get(path));
                            std::vector<json> items = j.value("items", json::array()).get<std::vector<json>>();
                            env.Print(j, BackupTable(items), "No backups yet.");
                            return Ok();
                          });
  AddTargetFlags(l, *lt);

  struct IdFlags {
    Target t;
    std::string id, file;
    bool follow = false;
  };
  auto sf = std::make_shared<IdFlags>();
  CLI::App* s = r.Command(g, "show", "Show a backup", "wharf backup show bkp_1 --app app_1 --service svc_1", Scope::kOrg,
                          [sf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, sf->t, "/backups/" + EncodeComponent(sf->id)));
                            WHARF_ASSIGN_OR_RETURN(json b, api->Get(path));
                            env.Print(b, BackupTable({b}));
                            return Ok();
                          });
  AddTargetFlags(s, sf->t);
  s->add_option("backup", sf->id, "Backup id (bkp_…)")->required();

  auto rf = std::make_shared<IdFlags>();
  CLI::App* rs = r.Command(g, "restore", "Restore a backup into the service's database (replaces its data)",
                           "wharf backup restore bkp_1 --app app_1 --service svc_1 --follow", Scope::kOrg,
                           [rf](Env& env) -> Status {
                             WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                             WHARF_ASSIGN_OR_RETURN(std::string path,
                                                    BackupsPath(env, rf->t, "/backups/" + EncodeComponent(rf->id) + "/restore"));
                             WHARF_ASSIGN_OR_RETURN(json b, api->Post(path));
                             return Started(env, b, rf->follow, "Restore of");
                           });
  AddTargetFlags(rs, rf->t);
  rs->add_option("backup", rf->id, "Backup id (bkp_…)")->required();
  rs->add_flag("-f,--follow", rf->follow, "Stream the job's log until it ends");

  auto df = std::make_shared<IdFlags>();
  CLI::App* d = r.Command(g, "download", "Download a backup's dump to a file (streamed)",
                          "wharf backup download bkp_1 --app app_1 --service svc_1 --file db.dump", Scope::kOrg,
                          [df](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path,
                                                   BackupsPath(env, df->t, "/backups/" + EncodeComponent(df->id) + "/download"));
                            std::ofstream out(df->file, std::ios::binary | std::ios::trunc);
                            if (!out) return Err(ErrorCode::kValidationFailed, "--file: cannot write " + df->file);
                            size_t bytes = 0;
                            WHARF_TRY(api->Stream(path, [&](std::string_view chunk) {
                              out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                              bytes += chunk.size();
                              return static_cast<bool>(out);
                            }));
                            out.close();
                            if (!out) return Err(ErrorCode::kValidationFailed, "--file: writing " + df->file + " failed");
                            env.Done(json{{"id", df->id}, {"file", df->file}, {"bytes", bytes}},
                                     "Wrote " + std::to_string(bytes) + " bytes to " + df->file + ".");
                            return Ok();
                          });
  AddTargetFlags(d, df->t);
  d->add_option("backup", df->id, "Backup id (bkp_…)")->required();
  d->add_option("--file", df->file, "Where to write the dump")->required();

  auto xf = std::make_shared<IdFlags>();
  CLI::App* x = r.Command(g, "delete", "Delete a backup: its object (or node file), then the record",
                          "wharf backup delete bkp_1 --app app_1 --service svc_1", Scope::kOrg, [xf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, xf->t, "/backups/" + EncodeComponent(xf->id)));
                            WHARF_TRY(api->Delete(path).map([](auto&&) {}));
                            env.Done(json{{"id", xf->id}, {"deleted", true}}, "Deleted backup " + xf->id + ".");
                            return Ok();
                          });
  AddTargetFlags(x, xf->t);
  x->add_option("backup", xf->id, "Backup id (bkp_…)")->required();

  CLI::App* sg = r.Group("schedule", "Scheduled backups with a retention count",
                         "wharf backup schedule set --app app_1 --service svc_1 --frequency daily --retention 7", g);
  struct SchedFlags {
    Target t;
    std::string frequency, storage, backup_storage;
    int64_t retention = 0;
  };
  auto pf = std::make_shared<SchedFlags>();
  CLI::App* set = r.Command(sg, "set", "Set the schedule (the first backup runs at once)",
                            "wharf backup schedule set --app app_1 --service svc_1 --frequency daily --retention 7 --backup-storage bst_1",
                            Scope::kOrg, [pf](Env& env) -> Status {
                              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                              WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, pf->t, "/backup-schedule"));
                              json body{{"frequency", pf->frequency}};
                              if (pf->retention > 0) body["retention"] = pf->retention;
                              if (!pf->storage.empty()) body["storage"] = pf->storage;
                              if (!pf->backup_storage.empty()) {
                                WHARF_ASSIGN_OR_RETURN(body["backup_storage_id"], StorageId(env, pf->backup_storage));
                              }
                              WHARF_ASSIGN_OR_RETURN(json s, api->Call("PUT", path, body));
                              env.Print(s, ScheduleTable(s));
                              return Ok();
                            });
  AddTargetFlags(set, pf->t);
  set->add_option("--frequency", pf->frequency, "hourly, daily, weekly or monthly")->required();
  set->add_option("--retention", pf->retention, "How many scheduled backups to keep (default 7)");
  set->add_option("--storage", pf->storage, "internal or external (default: external with --backup-storage)");
  set->add_option("--backup-storage", pf->backup_storage, "A verified backup storage (name or id)");

  auto gf = std::make_shared<Target>();
  CLI::App* gs = r.Command(sg, "show", "Show the schedule and its last error", "wharf backup schedule show --app app_1 --service svc_1",
                           Scope::kOrg, [gf](Env& env) -> Status {
                             WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                             WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, *gf, "/backup-schedule"));
                             WHARF_ASSIGN_OR_RETURN(json s, api->Get(path));
                             env.Print(s, ScheduleTable(s));
                             return Ok();
                           });
  AddTargetFlags(gs, *gf);

  auto nf = std::make_shared<Target>();
  CLI::App* rn = r.Command(sg, "run", "Take the schedule's backup now (retention applies after it)",
                           "wharf backup schedule run --app app_1 --service svc_1", Scope::kOrg, [nf](Env& env) -> Status {
                             WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                             WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, *nf, "/backup-schedule/run"));
                             WHARF_ASSIGN_OR_RETURN(json b, api->Post(path));
                             return Started(env, b, false, "Backup");
                           });
  AddTargetFlags(rn, *nf);

  auto ef = std::make_shared<Target>();
  CLI::App* es = r.Command(sg, "delete", "Stop scheduled backups (the backups stay)",
                           "wharf backup schedule delete --app app_1 --service svc_1", Scope::kOrg, [ef](Env& env) -> Status {
                             WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                             WHARF_ASSIGN_OR_RETURN(std::string path, BackupsPath(env, *ef, "/backup-schedule"));
                             WHARF_TRY(api->Delete(path).map([](auto&&) {}));
                             env.Done(json{{"deleted", true}}, "Scheduled backups stopped.");
                             return Ok();
                           });
  AddTargetFlags(es, *ef);
}

}  // namespace wharf::cli
