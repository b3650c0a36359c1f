// The shell: session loading, the route table, the top bar with the org switcher, and the
// sidebar navigation (data-driven, so later capabilities add a section instead of a page rewrite).
import { useEffect, useState } from 'preact/hooks';
import { get, post, setCsrf, setUnauthenticatedHandler, type Me } from './api';
import { Loading, LockIcon } from './components';
import { match, navigate, onLinkClick, useLocation } from './router';
import { OrgContext, SessionContext, orgCtx, useSession, type OrgCtx } from './session';
import { AuditPage } from './pages/audit';
import { InvitePage } from './pages/invite';
import { LoginPage, SignupPage } from './pages/auth';
import { NewOrgPage, OverviewPage } from './pages/org';
import { RoleEditPage, RolesPage } from './pages/roles';
import { SshKeysPage } from './pages/ssh_keys';
import { SecurityGroupsPage } from './pages/security_groups';
import { AddServerPage, ServerPage, ServersPage } from './pages/servers';
import { EditServerPage } from './pages/server_edit';
import { DockerRegistriesPage } from './pages/docker_registries';
import { IntegrationsIndexPage } from './pages/integrations';
import { NAV, navAllowed } from './nav';
import { HelpPage } from './pages/help';
import { BackupStoragePage } from './pages/backup_storage';
import { GitProvidersPage } from './pages/git_providers';
import { CloudAccountsPage } from './pages/cloud_accounts';
import { TroubleshootPage } from './pages/troubleshoot';
import { WhyPage } from './pages/why';
import { TeamPage } from './pages/team';
import { TokensPage } from './pages/tokens';
import { SecurityPage } from './pages/security';
import { IdentityProvidersPage } from './pages/identity_providers';
import { CliLoginPage } from './pages/cli_login';
import { AccountPage, AdminUsersPage, ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage } from './pages/account';
import { DeploymentPage, ServiceDeploymentsPage } from './pages/deployments';
import { ServiceLogsPage, ServiceReleasesPage } from './pages/releases';
import { ServiceBackupsPage } from './pages/backups';
import { ApplicationPage, ApplicationsPage, NewApplicationPage } from './pages/applications';
import { NewServicePage, ServicePage } from './pages/app_services';
import { TemplatesPage } from './pages/templates';
import { NotificationsPage } from './pages/notifications';

type OrgRoute = { pattern: string; page: (p: Record<string, string>) => preact.JSX.Element };
const ORG_ROUTES: OrgRoute[] = [
  { pattern: '/o/:slug', page: () => <OverviewPage /> },
  { pattern: '/o/:slug/team', page: () => <TeamPage /> },
  { pattern: '/o/:slug/roles', page: () => <RolesPage /> },
  { pattern: '/o/:slug/roles/new', page: () => <RoleEditPage id={null} /> },
  { pattern: '/o/:slug/roles/:id', page: (p) => <RoleEditPage id={p.id} /> },
  { pattern: '/o/:slug/ssh-keys', page: () => <SshKeysPage /> },
  { pattern: '/o/:slug/audit', page: () => <AuditPage /> },
  { pattern: '/o/:slug/servers', page: () => <ServersPage /> },
  { pattern: '/o/:slug/servers/new', page: () => <AddServerPage /> },
  { pattern: '/o/:slug/servers/:id', page: (p) => <ServerPage id={p.id} key={p.id} /> },
  { pattern: '/o/:slug/servers/:id/edit', page: (p) => <EditServerPage id={p.id} key={p.id} /> },
  { pattern: '/o/:slug/integrations', page: () => <IntegrationsIndexPage /> },
  { pattern: '/o/:slug/integrations/docker-registries', page: () => <DockerRegistriesPage /> },
  { pattern: '/o/:slug/security-groups', page: () => <SecurityGroupsPage /> },
  { pattern: '/o/:slug/integrations/backup-storage', page: () => <BackupStoragePage /> },
  { pattern: '/o/:slug/backup-storage', page: () => <BackupStoragePage /> },
  { pattern: '/o/:slug/integrations/git-providers', page: () => <GitProvidersPage /> },
  { pattern: '/o/:slug/git-providers', page: () => <GitProvidersPage /> },
  { pattern: '/o/:slug/integrations/cloud-accounts', page: () => <CloudAccountsPage /> },
  { pattern: '/o/:slug/cloud-accounts', page: () => <CloudAccountsPage /> },
  { pattern: '/o/:slug/applications', page: () => <ApplicationsPage /> },
  { pattern: '/o/:slug/applications/new', page: () => <NewApplicationPage /> },
  { pattern: '/o/:slug/applications/:id', page: (p) => <ApplicationPage id={p.id} key={p.id} /> },
  { pattern: '/o/:slug/applications/:app/services/new', page: (p) => <NewServicePage app={p.app} key={p.app} /> },
  { pattern: '/o/:slug/applications/:app/services/:svc', page: (p) => <ServicePage app={p.app} id={p.svc} key={p.svc} /> },
  { pattern: '/o/:slug/templates', page: () => <TemplatesPage /> },
  { pattern: '/o/:slug/notifications', page: () => <NotificationsPage /> },
  { pattern: '/o/:slug/troubleshoot', page: () => <TroubleshootPage /> },
  { pattern: '/o/:slug/why', page: () => <WhyPage /> },
  // A service's deployments and backups, and one deployment with its live log.
  { pattern: '/o/:slug/applications/:app/services/:svc/deployments', page: (p) => <ServiceDeploymentsPage app={p.app} svc={p.svc} key={p.svc} /> },
  { pattern: '/o/:slug/applications/:app/services/:svc/releases', page: (p) => <ServiceReleasesPage app={p.app} svc={p.svc} key={p.svc} /> },
  { pattern: '/o/:slug/applications/:app/services/:svc/logs', page: (p) => <ServiceLogsPage app={p.app} svc={p.svc} key={p.svc} /> },
  { pattern: '/o/:slug/applications/:app/services/:svc/backups', page: (p) => <ServiceBackupsPage app={p.app} svc={p.svc} key={p.svc} /> },
  { pattern: '/o/:slug/deployments/:id', page: (p) => <DeploymentPage id={p.id} key={p.id} /> },
];

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const { path } = useLocation();

  const reload = async () => {
    try {
      const m = await get<Me>('/api/v1/me');
      setMe(m);
      return m;
    } catch {
      setMe(null);
      return null;
    }
  };
  const signOut = async () => {
    try {
      await post('/api/v1/auth/logout');
    } catch {
      /* the session may already be gone */
    }
    setCsrf(null);
    setMe(null);
    navigate('/login');
  };

  useEffect(() => {
    // Back from single sign-on: the CSRF token arrives in the URL fragment, which no server sees.
    const sso = location.pathname === '/login/sso' ? /[#&]csrf=([\w-]+)/.exec(location.hash) : null;
    if (sso) {
      setCsrf(sso[1]);
      // Where the sign-in started (the login page's ?next, e.g. /cli-login for `wharf login --web`).
      const next = sessionStorage.getItem('wharf.sso_next');
      sessionStorage.removeItem('wharf.sso_next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
    }
    setUnauthenticatedHandler(() => setMe(null));
    reload();
  }, []);

  useEffect(() => {
    if (me === undefined) return;
    const isPublic = path === '/login' || path === '/signup' || path.startsWith('/invite/') || isHelp(path) ||
      path === '/forgot-password' || path.startsWith('/reset-password/') || path.startsWith('/verify-email/');
    if (me === null && !isPublic) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    else if (me && path === '/') navigate(me.orgs.length ? `/o/${me.orgs[0].slug}` : '/orgs/new', true);
  }, [me, path]);

  let body: preact.JSX.Element;
  if (me === undefined) body = <Loading />;
  else body = <Routes path={path} me={me} />;

  return (
    <SessionContext.Provider value={{ me: me ?? null, reload, signOut }}>
      <div onClick={onLinkClick as any}>{body}</div>
    </SessionContext.Provider>
  );
}

const isHelp = (path: string) => path === '/help' || path.startsWith('/help/');

function Routes(props: { path: string; me: Me | null }) {
  const { path, me } = props;
  let m: Record<string, string> | null;
  if ((m = match('/invite/:token', path))) return <Bare><InvitePage token={m.token} /></Bare>;
  if (path === '/login') return <Bare><LoginPage /></Bare>;
  if (path === '/signup') return <Bare><SignupPage /></Bare>;
  if (path === '/forgot-password') return <Bare><ForgotPasswordPage /></Bare>;
  if ((m = match('/reset-password/:token', path))) return <Bare><ResetPasswordPage token={m.token} /></Bare>;
  if ((m = match('/verify-email/:token', path))) return <Bare><VerifyEmailPage token={m.token} /></Bare>;
  // The guides are public: a problem signing in is one of the things they explain.
  if (isHelp(path)) {
    const page = <HelpPage page={path.slice('/help/'.length)} />;
    return me ? <Shell>{page}</Shell> : <Bare>{page}</Bare>;
  }
  if (!me) return <Loading />;
  if (path === '/orgs/new') return <Shell><NewOrgPage /></Shell>;
  if (path === '/account/tokens') return <Shell><TokensPage /></Shell>;
  if (path === '/account/security') return <Shell><SecurityPage /></Shell>;
  if (path === '/account') return <Shell><AccountPage /></Shell>;
  if (path === '/admin/users') return <Shell><AdminUsersPage /></Shell>;
  if (path === '/admin/identity-providers') return <Shell><IdentityProvidersPage /></Shell>;
  if (path === '/cli-login') return <Bare><CliLoginPage /></Bare>;
  for (const r of ORG_ROUTES) {
    if ((m = match(r.pattern, path))) {
      const org = me.orgs.find((o) => o.slug === m!.slug);
      if (!org)
        return (
          <Shell>
            <section class="panel denied" role="alert">
              <h1>Organisation not found</h1>
              <p>
                There is no organisation <code>{m.slug}</code> that you are a member of. Pick one from the switcher, or ask
                its Admin for an invitation.
              </p>
            </section>
          </Shell>
        );
      const ctx = orgCtx(org);
      return (
        <OrgContext.Provider value={ctx}>
          <Shell ctx={ctx} key={org.slug}>
            {r.page(m)}
          </Shell>
        </OrgContext.Provider>
      );
    }
  }
  return (
    <Shell>
      <section class="panel">
        <h1>Page not found</h1>
        <p>
          <a href="/">Go to your organisation</a>
        </p>
      </section>
    </Shell>
  );
}

function Bare(props: { children: preact.ComponentChildren }) {
  return (
    <div class="bare">
      <a class="brand" href="/">
        <Logo /> Wharf
      </a>
      <main id="main">{props.children}</main>
    </div>
  );
}

function Logo() {
  return <img src="/favicon.svg" alt="" width={24} height={24} />;
}

function Shell(props: { ctx?: OrgCtx; children: preact.ComponentChildren }) {
  const { me, signOut } = useSession();
  const { path } = useLocation();
  const ctx = props.ctx;
  const slug = ctx?.org.slug;
  const switchOrg = (to: string) => {
    if (to === '__new') return navigate('/orgs/new');
    // Keep the same page in the other org when it exists there.
    const rest = slug ? path.slice(`/o/${slug}`.length).split('/').slice(0, 2).join('/') : '';
    navigate(`/o/${to}${rest}`);
  };
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="/">
          <Logo /> <span>Wharf</span>
        </a>
        <label class="org-switch">
          <span class="sr-only">Organisation</span>
          <select
            aria-label="Organisation"
            value={slug ?? ''}
            onChange={(e) => switchOrg((e.target as HTMLSelectElement).value)}
            data-testid="org-switcher"
          >
            {!slug && <option value="">Choose an organisation…</option>}
            {me?.orgs.map((o) => (
              <option value={o.slug} key={o.slug}>
                {o.name} ({o.slug})
              </option>
            ))}
            <option value="__new">+ New organisation…</option>
          </select>
        </label>
        <div class="user">
          <a href="/account" class="user-link" title="Account">
            {me?.user.name || me?.user.email}
          </a>
          <button type="button" class="btn plain small" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div class="body">
        {ctx && (
          <nav class="sidenav" aria-label="Organisation">
            {NAV.map((s) => (
              <div class="nav-section" key={s.section}>
                <h2 class="nav-heading">{s.section}</h2>
                <ul>
                  {s.items.map((it) => {
                    const href = it.abs ? it.path : `/o/${slug}${it.path}`;
                    const current = it.path === '' ? path === href : path === href || path.startsWith(href + '/');
                    const locked = !navAllowed(it, ctx);
                    const needText = it.admin ? 'the Admin role' : it.need ?? it.needAny?.join(' or ');
                    return (
                      <li key={it.path}>
                        <a href={href} aria-current={current ? 'page' : undefined} class={locked ? 'locked' : undefined}>
                          {it.label}
                          {locked && (
                            <span class="lock" title={`Needs ${needText}`}>
                              {' '}<LockIcon /><span class="sr-only"> (needs {needText})</span>
                            </span>
                          )}
                        </a>
                      </li>
                    );
                  })}
                </ul>
              </div>
            ))}
            <div class="nav-section">
              <h2 class="nav-heading">Account</h2>
              <ul>
                <li>
                  <a href="/account" aria-current={path === '/account' ? 'page' : undefined}>Account</a>
                </li>
                <li>
                  <a href="/account/tokens" aria-current={path === '/account/tokens' ? 'page' : undefined}>API tokens</a>
                </li>
                <li>
                  <a href="/account/security" aria-current={path === '/account/security' ? 'page' : undefined}>Security</a>
                </li>
                {me?.user.instance_admin && (
                  <li>
                    <a href="/admin/users" aria-current={path === '/admin/users' ? 'page' : undefined}>Users (instance)</a>
                  </li>
                )}
                {me?.user.instance_admin && (
                  <li>
                    <a href="/admin/identity-providers" aria-current={path === '/admin/identity-providers' ? 'page' : undefined}>Identity providers</a>
                  </li>
                )}
              </ul>
            </div>
          </nav>
        )}
        <main id="main" class="main">
          {ctx && (
            <p class="crumb">
              {ctx.org.name} · your role: <strong>{ctx.org.role.name}</strong>
            </p>
          )}
          {props.children}
        </main>
      </div>
    </div>
  );
}
