// Templates as the API returns them (docs/applications.md, "Templates").
import type { Application, Service } from './apps';
import type { Deployment } from './deploy';

export interface Template {
  id: string; name: string; description: string; source_application: string;
  services: { name: string; type: string }[];
  created_at: string; updated_at: string; created_by: string;
}

export interface TemplateDeployment {
  application: Application; created_application: boolean; services: Service[];
  renamed: Record<string, string>; deployments: Deployment[];
}

export const templatesPath = (slug: string) => `/o/${slug}/templates`;
