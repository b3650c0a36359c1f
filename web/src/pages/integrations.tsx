// /o/{slug}/integrations: opens the first integration tab the member may read.
import { useEffect } from 'preact/hooks';
import { Loading } from '../components';
import { firstIntegrationTab } from '../components/integrations';
import { navigate } from '../router';
import { useOrg } from '../session';

export function IntegrationsIndexPage() {
  const { org, can } = useOrg();
  useEffect(() => navigate(`/o/${org.slug}/integrations/${firstIntegrationTab(can).path}`, true), [org.slug]);
  return <Loading />;
}
