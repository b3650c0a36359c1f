#!/usr/bin/env python3
"""Rewrites calls on the old monolithic services::Services into calls on its feature accessors.

    scripts/split/services_calls.py src/api/*.cc src/api/*.h src/server/*.cc

`svc.CreateServer(` becomes `svc.servers().CreateServer(`, for every receiver spelled svc, svc_,
services, services_, s, s_ or impl_->svc (`.` or `->`), and `Services::DiagnoseInput` /
`Services::BundleInput` become the namespace-level `DiagnoseInput` / `BundleInput`. Only the
method names below are touched (each is a use case of exactly one feature; see
src/services/<feature>.h), so `s.Field(` on a row is left alone. Idempotent: a rewritten call
reads `svc.servers().CreateServer(` and no longer matches. Files are rewritten in place; the
script prints how many calls it changed in each.
"""
import re
import sys

# Method -> accessor of services::Services (generated from the feature headers' public sections).
FEATURE = {
    "AcceptInvitation": "team",
    "AccessGeneration": "auth",
    "AddDomain": "app_services",
    "AddSshKey": "ssh_keys",
    "ApplyFirewall": "servers",
    "Authenticate": "auth",
    "CancelDeployment": "deployments",
    "CancelJob": "jobs",
    "ChangeMemberRole": "team",
    "CheckPrivateTarget": "integrations",
    "CheckServer": "servers",
    "CheckServiceSource": "app_services",
    "CheckSshStaysOpen": "",
    "ClearUnsetKeys": "app_services",
    "CopyInvitationLink": "team",
    "CreateApiToken": "auth",
    "CreateApplication": "applications",
    "CreateBackup": "backups",
    "CreateBackupStorage": "backup_storage",
    "CreateCloudAccount": "cloud_accounts",
    "CreateDockerRegistry": "registries",
    "CreateGitProvider": "git_providers",
    "CreateOrg": "auth",
    "CreateRole": "roles",
    "CreateSecurityGroup": "security_groups",
    "CreateServer": "servers",
    "CreateService": "app_services",
    "CreateSshKey": "ssh_keys",
    "CreateTemplate": "templates",
    "CsrfMatches": "auth",
    "DeleteApplication": "applications",
    "DeleteBackup": "backups",
    "DeleteBackupSchedule": "backups",
    "DeleteCloudAccount": "cloud_accounts",
    "DeleteIntegration": "integrations",
    "DeleteRole": "roles",
    "DeleteSecurityGroup": "security_groups",
    "DeleteSecurityGroupOnEc2": "security_groups",
    "DeleteServer": "servers",
    "DeleteService": "app_services",
    "DeleteSshKey": "ssh_keys",
    "DeleteTemplate": "templates",
    "DeleteVariable": "app_services",
    "DeployOnPush": "deployments",
    "DeployTemplate": "templates",
    "Diagnose": "diagnose",
    "DiagnoseGitProvider": "diagnose",
    "DownloadBackup": "backups",
    "EnqueueDeployment": "deployments",
    "EnqueueTestJobs": "jobs",
    "ExplainAccess": "roles",
    "GetApplication": "applications",
    "GetBackup": "backups",
    "GetBackupSchedule": "backups",
    "GetDeploymentTail": "deployments",
    "GetIntegration": "integrations",
    "GetJob": "jobs",
    "GetJobTail": "jobs",
    "GetOrg": "auth",
    "GetRole": "roles",
    "GetSecurityGroup": "security_groups",
    "GetServer": "servers",
    "GetService": "app_services",
    "GetSshKey": "ssh_keys",
    "GetTemplate": "templates",
    "InsertIntegration": "integrations",
    "InsertServices": "app_services",
    "Invite": "team",
    "ListApiTokens": "auth",
    "ListApplications": "applications",
    "ListAudit": "team",
    "ListBackups": "backups",
    "ListDeployments": "deployments",
    "ListDomains": "app_services",
    "ListEc2Groups": "security_groups",
    "ListExpiringIntegrations": "integrations",
    "ListIntegrations": "integrations",
    "ListInvitations": "team",
    "ListMembers": "team",
    "ListRoles": "roles",
    "ListSecurityGroups": "security_groups",
    "ListServers": "servers",
    "ListServices": "app_services",
    "ListSshKeys": "ssh_keys",
    "ListTemplates": "templates",
    "ListVariables": "app_services",
    "LoadIntegrationSecret": "integrations",
    "LoadIntegrationSecrets": "integrations",
    "LoadNodeTarget": "",
    "Login": "auth",
    "Logout": "auth",
    "LogoutAll": "auth",
    "MyOrgs": "auth",
    "NodeConnectOptions": "",
    "OnGitPush": "git_providers",
    "OnboardServer": "servers",
    "PeekInvitation": "team",
    "ProbeRegistryPull": "registries",
    "PutBackupSchedule": "backups",
    "PutVariables": "app_services",
    "ReadFirewall": "servers",
    "ReceiveGitWebhook": "git_providers",
    "RecheckPrincipal": "auth",
    "RecordIntegrationVerify": "integrations",
    "RecordSignupPolicy": "auth",
    "RegenerateSecrets": "app_services",
    "RegisterBackupJobs": "backups",
    "RegisterDeploymentJobs": "deployments",
    "RegisterOnboardJobs": "servers",
    "RegisterTestJobs": "jobs",
    "RemoveDomain": "app_services",
    "RemoveMember": "team",
    "RenameOrg": "auth",
    "RepinHostKey": "servers",
    "RequirePinnedHostKey": "",
    "RequireVerifiedBackupStorage": "backup_storage",
    "ResendInvitation": "team",
    "ResolveEnvironment": "app_services",
    "ResolvePrincipal": "auth",
    "RestoreBackup": "backups",
    "RevealCredentials": "app_services",
    "RevokeApiToken": "auth",
    "RevokeInvitation": "team",
    "RunBackupScheduleNow": "backups",
    "RunDueBackupSchedules": "backups",
    "RunDueHealthChecks": "servers",
    "RunGitProviderChecks": "git_providers",
    "RunNodeChecks": "",
    "SaveIntegration": "integrations",
    "SecurityGroupDrift": "security_groups",
    "ServerCheckHistory": "servers",
    "ServiceFor": "app_services",
    "SetDefaultDomain": "app_services",
    "SetPushHandler": "git_providers",
    "SetSeatLimit": "auth",
    "SetVariable": "app_services",
    "Signup": "auth",
    "SignupOpenWithoutInvitation": "auth",
    "SshPublicKey": "ssh_keys",
    "StartDeployment": "deployments",
    "Status": "integrations",
    "SupportBundle": "support",
    "SyncSecurityGroupToEc2": "security_groups",
    "TestBackupStorage": "backup_storage",
    "TestCloudAccount": "cloud_accounts",
    "TestDockerRegistry": "registries",
    "TestGitProvider": "git_providers",
    "TestServerConnection": "servers",
    "TransferOwnership": "auth",
    "UpdateApplication": "applications",
    "UpdateBackupStorage": "backup_storage",
    "UpdateCloudAccount": "cloud_accounts",
    "UpdateDockerRegistry": "registries",
    "UpdateGitProvider": "git_providers",
    "UpdateRole": "roles",
    "UpdateSecurityGroup": "security_groups",
    "UpdateServer": "servers",
    "UpdateService": "app_services",
    "UpdateSshKey": "ssh_keys",
    "UpdateTemplate": "templates",
    "ValidateInvitationToken": "team",
    "VerifyBackupStorage": "backup_storage",
    "VerifyCloudAccount": "cloud_accounts",
    "VerifyDockerRegistry": "registries",
    "VerifyGitProvider": "git_providers",
    "ViewService": "app_services",
    "VisitSshKeys": "ssh_keys",
}

RECEIVER = r"(?<![\w.>])(impl_->rt\.svc\(\)|rt\.svc\(\)|impl_->svc|svc_?|services_?|s_?)(\.|->)"
CALL = re.compile(RECEIVER + r"(" + "|".join(sorted(FEATURE, key=len, reverse=True)) + r")\(")
NESTED = re.compile(r"\bServices::(DiagnoseInput|BundleInput|Explanation|ExplainView|FirewallState|Diagnosis|ChecklistItem)\b")


def rewrite(text):
    count = 0

    def call(m):
        nonlocal count
        count += 1
        return f"{m.group(1)}{m.group(2)}{FEATURE[m.group(3)]}().{m.group(3)}("

    text = CALL.sub(call, text)
    text, n = NESTED.subn(r"\1", text)
    return text, count + n


def main(paths):
    for path in paths:
        with open(path) as f:
            old = f.read()
        new, n = rewrite(old)
        if new != old:
            with open(path, "w") as f:
                f.write(new)
        print(f"{path}: {n} rewritten")


if __name__ == "__main__":
    main(sys.argv[1:])
