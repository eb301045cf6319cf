import { ConditionFailedError, type Item, type Table } from '../../ports/table.js';
import { nextId } from './counter.js';
import { indexes, keys } from './keys.js';

export interface Project {
  id: number;
  name: string;
  public: boolean;
  ownerId: number;
  ownerName: string;
  createdAt: string;
  updatedAt: string;
  /** Harbor's project metadata besides `public` (identity/project-metadata.ts): string values. */
  metadata: Record<string, string>;
}

/**
 * Project names are the first component of a repository name, so they follow that component's
 * grammar (distribution-spec `<name>` path component), capped as Harbor caps them.
 */
export const projectNameGrammar = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
export const maxProjectNameLength = 255;

export function isValidProjectName(name: string): boolean {
  return name.length <= maxProjectNameLength && projectNameGrammar.test(name);
}

/** The project a repository belongs to: its first path component. */
export function projectOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? repository : repository.slice(0, slash);
}

function toProject(item: Item): Project {
  return {
    id: item.id as number,
    name: item.name as string,
    public: item.public === true,
    ownerId: item.ownerId as number,
    ownerName: item.ownerName as string,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    metadata: (item.metadata as Record<string, string> | undefined) ?? {},
  };
}

function toItem(project: Project): Item {
  return { ...keys.project(project.name), gsi1pk: indexes.projects, gsi1sk: project.name, ...project };
}

export class ProjectStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
  ) {}

  /** The project, or null. */
  async get(name: string): Promise<Project | null> {
    const item = await this.table.get(keys.project(name));
    return item ? toProject(item) : null;
  }

  async getById(id: number): Promise<Project | null> {
    const pointer = await this.table.get(keys.projectId(id));
    return pointer ? this.get(pointer.name as string) : null;
  }

  /** Creates the project; null when the name is taken (also under a concurrent create). */
  async create(input: { name: string; public: boolean; ownerId: number; ownerName: string; metadata?: Record<string, string> }): Promise<Project | null> {
    if (await this.get(input.name)) return null;
    const at = this.now().toISOString();
    const project: Project = { ...input, metadata: input.metadata ?? {}, id: await nextId(this.table, 'project'), createdAt: at, updatedAt: at };
    try {
      await this.table.transact([
        { put: toItem(project), condition: { exists: false } },
        { put: { ...keys.projectId(project.id), name: project.name }, condition: { exists: false } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return project;
  }

  async setPublic(name: string, isPublic: boolean): Promise<Project | null> {
    const current = await this.get(name);
    if (!current) return null;
    const next = { ...current, public: isPublic, updatedAt: this.now().toISOString() };
    await this.table.put(toItem(next), { exists: true });
    return next;
  }

  /**
   * Merges `changes` into the project's metadata (`public` goes to its own field). Null when the
   * project does not exist. Conditional on the version read, so two concurrent updates of
   * different keys both land (the loser re-reads and merges again).
   */
  async updateMetadata(name: string, changes: Record<string, string>): Promise<Project | null> {
    for (;;) {
      const current = await this.get(name);
      if (!current) return null;
      const { public: isPublic, ...rest } = changes;
      const next: Project = {
        ...current,
        public: isPublic === undefined ? current.public : isPublic === 'true',
        metadata: { ...current.metadata, ...rest },
        updatedAt: this.now().toISOString(),
      };
      try {
        await this.table.put(toItem(next), { equals: { updatedAt: current.updatedAt } });
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
  }

  /** Removes the project record and its id pointer (members are removed by the caller first). */
  async delete(project: Project): Promise<void> {
    await this.table.transact([{ delete: keys.project(project.name) }, { delete: keys.projectId(project.id) }]);
  }

  /** Projects in name order, from the index. */
  async list(options: { after?: string; limit?: number; prefix?: string } = {}): Promise<Project[]> {
    const items = await this.table.query(indexes.projects, { index: 'gsi1', ...options });
    return items.map(toProject);
  }
}
