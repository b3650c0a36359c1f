// Where each error layer is explained: the /help page (docs/troubleshooting/*.md, served by the UI)
// that an error box, a check report or a diagnosis links to. help.test.ts checks that every layer
// API.md names has a page, and that every page and anchor here exists.
export const LAYER_HELP: Record<string, string> = {
  permissions: '/help/troubleshooting/security#access-denied-or-missing-pages',
  seat_limit: '/help/troubleshooting/security#invites-and-team-members',
  email: '/help/troubleshooting/security#invites-and-team-members',
  ssh: '/help/troubleshooting/servers',
  network: '/help/troubleshooting/servers',
  registry: '/help/troubleshooting/integrations#docker-registries-layer-registry',
  git_token: '/help/troubleshooting/integrations#git-tokens-layer-git_token-gitlab-bitbucket-gitea-azure-devops',
  github_app: '/help/troubleshooting/integrations#github-app-layer-github_app',
  webhook: '/help/troubleshooting/integrations#webhooks-layer-webhook-webhook-never-arrives',
  backup_storage: '/help/troubleshooting/integrations#backup-storage-layer-backup_storage',
  aws_iam: '/help/troubleshooting/integrations#aws-cloud-accounts-layers-aws_iam-and-network',
};

export function helpForLayer(layer: string | undefined | null): string | null {
  return (layer && LAYER_HELP[layer]) || null;
}

// The guides listed on the Help pages, in reading order.
export const GUIDES: { page: string; title: string }[] = [
  { page: 'troubleshooting', title: 'Troubleshooting: which page for which error' },
  { page: 'troubleshooting/security', title: 'Security: access denied, roles, invitations, support' },
  { page: 'troubleshooting/servers', title: 'Worker nodes and SSH' },
  { page: 'troubleshooting/integrations', title: 'Integrations: Git hosts, registries, AWS, backup storage' },
  { page: 'troubleshooting/deployments', title: 'Deployments: a failed deploy, git or SSH' },
  { page: 'applications', title: 'Applications, services and deployments' },
  { page: 'releases', title: 'Releases, rollbacks, the watch after start and runtime logs' },
  { page: 'access-control', title: 'Roles, permissions and invitations' },
  { page: 'integrations', title: 'Integration prerequisites' },
  { page: 'cli', title: 'The wharf command-line client' },
  { page: 'web-ui', title: 'The web UI' },
  { page: 'postgres', title: 'PostgreSQL and several replicas' },
];
