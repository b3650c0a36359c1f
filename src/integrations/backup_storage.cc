#include "integrations/backup_storage.h"

#include "base/strings.h"

namespace wharf::integrations {

namespace {

struct StepInfo {
  const char* action;  // the IAM action the step needs
  const char* verb;
};

StepInfo Step(std::string_view step) {
  if (step == "write") return {"s3:PutObject", "write (upload)"};
  if (step == "read") return {"s3:GetObject", "read (download)"};
  if (step == "list") return {"s3:ListBucket", "list"};
  return {"s3:DeleteObject", "delete"};
}

bool Contains(std::string_view hay, std::string_view needle) { return ToLower(hay).find(needle) != std::string::npos; }

}  // namespace

StorageFailure ClassifyStorageError(std::string_view step, const S3Error& e, const S3Config& c,
                                    std::string_view endpoint) {
  const std::string what = "The " + std::string(step) + " step failed: ";
  const std::string bucket = "'" + c.bucket + "'";
  const std::string said = DescribeS3Error(e);
  StepInfo info = Step(step);
  if (e.kind == S3Error::Kind::kNetwork) {
    return {"network", what + "no answer from " + std::string(endpoint) + " (" + e.message + ").",
            c.endpoint.empty()
                ? "Check that Wharf can reach AWS S3 (DNS, firewall, proxy) and that the region '" + c.region +
                      "' exists."
                : "Check the endpoint URL: it is the provider's S3 API address, e.g. "
                  "https://<account>.r2.cloudflarestorage.com (R2), https://s3.<region>.backblazeb2.com (B2), "
                  "https://minio.example.com:9000 (MinIO). Leave it blank for AWS S3. Then check DNS and "
                  "firewalls between Wharf and it.",
            true};
  }
  if (e.kind == S3Error::Kind::kProtocol) {
    return {"backup_storage", what + said + ".",
            "Check that the endpoint " + std::string(endpoint) + " is an S3 API (not the provider's web console).",
            true};
  }
  const bool region_code = e.code == "AuthorizationHeaderMalformed" || e.code == "PermanentRedirect" ||
                           e.code == "IllegalLocationConstraintException" || e.code == "InvalidRegion" ||
                           e.status == 301;
  const bool other_region = !e.region.empty() && e.region != c.region;
  if (region_code || other_region || (e.status == 400 && Contains(e.message, "region"))) {
    std::string where = e.region.empty() ? std::string() : " The service says the bucket's region is '" + e.region + "'.";
    return {"backup_storage",
            what + "wrong region: requests are signed for '" + c.region + "', which this endpoint refuses (" + said +
                ")." + where,
            e.region.empty() ? "Set the region to the bucket's region (see the bucket's properties at the provider; "
                               "R2 uses 'auto')."
                             : "Set the region to '" + e.region + "'.",
            true};
  }
  if (e.code == "NoSuchBucket") {
    return {"backup_storage",
            what + "the bucket " + bucket + " does not exist at " + std::string(endpoint) + " (" + said + ").",
            "Create the bucket, or correct the bucket name or the endpoint (a bucket belongs to one provider "
            "account and one endpoint).",
            true};
  }
  if (e.code == "SignatureDoesNotMatch") {
    return {"backup_storage",
            what + "the secret access key does not match access key id '" + c.access_key_id + "' (" + e.code +
                "): the service computed a different signature.",
            "Paste the secret access key again (it is shown once when the key is created; copy it without spaces), "
            "or create a new key pair and update both fields.",
            true};
  }
  if (e.code == "InvalidAccessKeyId" || e.code == "InvalidToken" || e.code == "InvalidClientTokenId") {
    return {"backup_storage",
            what + "the service does not know access key id '" + c.access_key_id + "' (" + e.code +
                "): it was deleted or deactivated, or it belongs to another provider or account.",
            "Check the key at the provider (active, same account as the bucket), or create a new key pair and "
            "update both fields. AWS compute (cloud-accounts) keys are separate and are not used here.",
            true};
  }
  if (e.code == "RequestTimeTooSkewed") {
    return {"backup_storage", what + "the clock of the Wharf host differs from the service's by too much (" + said + ").",
            "Synchronise the Wharf host's clock (NTP).", true};
  }
  if (e.code == "AccessDenied" || e.code == "Forbidden" || e.code == "AllAccessDisabled" || e.status == 403) {
    return {"backup_storage",
            what + "the key may not " + info.verb + " in bucket " + bucket +
                " (" + said + "): a bucket policy or the key's permissions deny " + info.action + ".",
            std::string("Allow ") + info.action + " on " +
                (step == "list" ? "arn:aws:s3:::" + c.bucket + " (with the prefix as s3:prefix condition)"
                                : "arn:aws:s3:::" + c.bucket + "/<prefix>*") +
                " for this key, in the bucket policy and the key's own policy (docs/integrations.md has the JSON); "
                "Wharf needs read, write, list and delete on the prefix.",
            false};
  }
  return {"backup_storage", what + said + ".",
          "Check the provider's status page and the bucket's settings, then verify again.", e.status < 500 ? false : true};
}

StorageResult VerifyStorage(const StorageProbe& p) {
  StorageResult out;
  Report& r = out.report;
  S3Client s3(p.s3);
  out.endpoint_url = s3.EndpointUrl();
  out.probe_key = p.prefix + ".wharf-verify-" + p.probe_id;
  const std::string& key = out.probe_key;
  const std::string content = "Wharf backup storage probe " + p.probe_id +
                              ". Written by a verify and deleted right after it; safe to delete.\n";
  auto fail = [&](const char* step, const S3Error& e) {
    StorageFailure f = ClassifyStorageError(step, e, p.s3, out.endpoint_url);
    r.Fail(step, f.layer, f.message, f.fix);
    return f.fatal;
  };
  auto skip_rest = [&](std::initializer_list<const char*> names, const std::string& why) {
    for (const char* n : names) r.Add(n, "skipped", why);
  };
  const std::string where = "s3://" + p.s3.bucket + "/" + key;

  // write
  auto put = s3.PutObject(key, content, "text/plain");
  if (!put) {
    fail("write", put.error());
    skip_rest({"read", "list", "delete"}, "Not run: the probe object could not be written.");
    return out;
  }
  r.Add("write", "passed", "Wrote the probe object " + where + " (" + std::to_string(content.size()) + " bytes).");

  // read
  bool stop = false;
  std::string got;
  auto get = s3.GetObject(key, [&](std::string_view chunk) {
    if (got.size() + chunk.size() > 1 << 20) return false;
    got.append(chunk);
    return true;
  });
  if (!get) {
    stop = fail("read", get.error());
  } else if (got != content) {
    r.Fail("read", "backup_storage",
           "The read step failed: the probe object came back different (" + std::to_string(got.size()) + " bytes, " +
               std::to_string(content.size()) + " written).",
           "Check for a proxy or gateway that rewrites objects between Wharf and the endpoint, then verify again.");
  } else {
    r.Add("read", "passed", "Read the probe object back; its content matches.");
  }

  // list
  if (stop) {
    skip_rest({"list"}, "Not run: an earlier step failed.");
  } else {
    auto list = s3.ListObjectsV2(key, {}, 10);
    if (!list) {
      stop = fail("list", list.error());
    } else {
      bool found = false;
      for (const auto& o : list->objects) found = found || o.key == key;
      if (found) {
        r.Add("list", "passed", "Listing the prefix '" + p.prefix + "' shows the probe object.");
      } else {
        r.Fail("list", "backup_storage",
               "The list step failed: listing with prefix '" + key + "' answered " +
                   std::to_string(list->objects.size()) + " objects, none of them the probe just written.",
               "Check that the endpoint and bucket are the ones written to (a caching proxy or an eventually "
               "consistent host can lag), then verify again.");
      }
    }
  }

  // delete (always tried when the service answered: it removes the probe)
  if (stop && r.checks.back().layer == "network") {
    skip_rest({"delete"}, "Not run: the endpoint stopped answering.");
    return out;
  }
  auto del = s3.DeleteObject(key);
  if (!del) {
    fail("delete", del.error());
    r.checks.back().message += " The probe object " + where + " was left in the bucket; delete it by hand.";
  } else {
    r.Add("delete", "passed", "Deleted the probe object.");
  }
  return out;
}

}  // namespace wharf::integrations
