/** The Harbor v2.0 API shapes the portal reads (only the fields it uses). */
export interface Project {
  project_id: number;
  name: string;
  owner_name?: string;
  creation_time?: string;
  update_time?: string;
  repo_count?: number;
  current_user_role_id?: number;
  metadata?: Record<string, string | undefined>;
}

export interface ProjectSummary {
  repo_count?: number;
  quota?: { hard?: { storage?: number }; used?: { storage?: number } };
}

export interface Repository {
  id?: number;
  name: string;
  artifact_count?: number;
  pull_count?: number;
  creation_time?: string;
  update_time?: string;
}

export interface Tag {
  id?: number;
  name: string;
  push_time?: string;
  pull_time?: string;
  immutable?: boolean;
  signed?: boolean;
}

export interface NativeReportSummary {
  scan_status?: string;
  severity?: string;
  summary?: { total?: number; fixable?: number; summary?: Record<string, number> };
  start_time?: string;
  end_time?: string;
}

export interface Accessory {
  id?: number;
  type: string;
  digest: string;
  size?: number;
  creation_time?: string;
}

export interface Artifact {
  id?: number;
  digest: string;
  media_type?: string;
  manifest_media_type?: string;
  type?: string;
  size?: number;
  push_time?: string;
  pull_time?: string;
  tags?: Tag[] | null;
  extra_attrs?: { architecture?: string; os?: string; variant?: string; author?: string; created?: string; config?: Record<string, unknown> };
  references?: { child_digest: string; platform?: { architecture?: string; os?: string; variant?: string } }[] | null;
  scan_overview?: Record<string, NativeReportSummary>;
  accessories?: Accessory[] | null;
  sbom_overview?: { scan_status?: string; sbom_digest?: string; end_time?: string };
  annotations?: Record<string, string>;
}

export interface Member {
  id: number;
  entity_name: string;
  entity_type: 'u' | 'g';
  role_id: number;
  role_name?: string;
}

export interface Robot {
  id: number;
  name: string;
  description?: string;
  level: 'system' | 'project';
  duration: number;
  disable: boolean;
  expires_at: number;
  creation_time?: string;
  permissions: { kind: string; namespace: string; access: { resource: string; action: string }[] }[];
}

export interface User {
  user_id: number;
  username: string;
  email?: string;
  realname?: string;
  sysadmin_flag?: boolean;
  creation_time?: string;
}

export const roles: [string, string][] = [
  ['1', 'Project Admin'],
  ['4', 'Maintainer'],
  ['2', 'Developer'],
  ['3', 'Guest'],
  ['5', 'Limited Guest'],
];

export function roleName(id: number | undefined): string {
  return roles.find(([value]) => Number(value) === id)?.[1] ?? '—';
}
