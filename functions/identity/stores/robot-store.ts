import { ConditionFailedError, type Item, type Table } from '../../ports/table.js';
import type { Action } from '../rbac.js';
import { nextId } from './counter.js';
import { indexes, keys } from './keys.js';

/** Harbor's robot permission shape: for `namespace` (a project, or `*` for all), these accesses. */
export interface RobotPermission {
  kind: 'project';
  namespace: string;
  access: { resource: string; action: string }[];
}

export interface Robot {
  id: number;
  /** Full name as used to log in: `robot$<project>+<name>` or `robot$<name>` for system robots. */
  name: string;
  description: string;
  level: 'system' | 'project';
  /** The project of a project-level robot. */
  project: string | null;
  permissions: RobotPermission[];
  /** `sha256$<hex>` of a generated secret, or `scrypt$...` of one an admin chose. */
  secretHash: string;
  disabled: boolean;
  /** Epoch seconds, or -1 for never. */
  expiresAt: number;
  /** Days from creation, as Harbor reports it (-1 = never). */
  duration: number;
  creator: string;
  /** Bumped when the secret changes or the robot is disabled: its refresh tokens die with it. */
  credentialVersion: number;
  createdAt: string;
  updatedAt: string;
}

export const robotPrefix = 'robot$';

/**
 * The Harbor resource/action pairs a robot may hold and what they grant here. A robot's `push`
 * includes overwriting a tag, as it does in Harbor; anything else is refused when the robot is made.
 */
const grants: Record<string, Action[]> = {
  'repository:pull': ['pull', 'read-project'],
  'repository:push': ['push', 'overwrite-tag'],
  'repository:delete': ['delete-repository'],
  'artifact:delete': ['delete-artifact'],
  'artifact:read': ['pull', 'read-project'],
  'project:read': ['read-project'],
};

export function isGrantableAccess(access: { resource: string; action: string }): boolean {
  return `${access.resource}:${access.action}` in grants;
}

/** The actions a robot holds on `project`. */
export function robotActions(robot: Robot, project: string): Set<Action> {
  const result = new Set<Action>();
  for (const permission of robot.permissions) {
    if (permission.namespace !== '*' && permission.namespace !== project) continue;
    if (robot.level === 'project' && permission.namespace !== robot.project) continue;
    for (const access of permission.access) for (const action of grants[`${access.resource}:${access.action}`] ?? []) result.add(action);
  }
  return result;
}

export function isRobotUsable(robot: Robot, nowSeconds: number): boolean {
  return !robot.disabled && (robot.expiresAt === -1 || robot.expiresAt > nowSeconds);
}

function toRobot(item: Item): Robot {
  return {
    id: item.id as number,
    name: item.name as string,
    description: (item.description as string) ?? '',
    level: item.level === 'system' ? 'system' : 'project',
    project: (item.project as string | null) ?? null,
    permissions: (item.permissions as unknown as RobotPermission[]) ?? [],
    secretHash: item.secretHash as string,
    disabled: item.disabled === true,
    expiresAt: item.expiresAt as number,
    duration: item.duration as number,
    creator: (item.creator as string) ?? '',
    credentialVersion: typeof item.credentialVersion === 'number' ? item.credentialVersion : 0,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

/** `expiresAt` is the robot's own expiry, not the table's TTL: an expired robot stays listable. */
function toItem(robot: Robot): Item {
  const { expiresAt, permissions, ...rest } = robot;
  return {
    ...keys.robot(robot.name),
    gsi1pk: indexes.robots,
    gsi1sk: `${robot.project ?? '*'}#${robot.name}`,
    ...rest,
    robotExpiresAt: expiresAt,
    permissions: permissions as unknown as Item['permissions'],
  };
}

function fromItem(item: Item): Robot {
  return toRobot({ ...item, expiresAt: item.robotExpiresAt as number });
}

export class RobotStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
  ) {}

  /** The robot, or null. */
  async get(name: string): Promise<Robot | null> {
    const item = await this.table.get(keys.robot(name));
    return item ? fromItem(item) : null;
  }

  async getById(id: number): Promise<Robot | null> {
    const pointer = await this.table.get(keys.robotId(id));
    return pointer ? this.get(pointer.name as string) : null;
  }

  /** Creates the robot; null when the name is taken. */
  async create(input: Omit<Robot, 'id' | 'createdAt' | 'updatedAt' | 'credentialVersion'>): Promise<Robot | null> {
    if (await this.get(input.name)) return null;
    const at = this.now().toISOString();
    const robot: Robot = { ...input, id: await nextId(this.table, 'robot'), credentialVersion: 0, createdAt: at, updatedAt: at };
    try {
      await this.table.transact([
        { put: toItem(robot), condition: { exists: false } },
        { put: { ...keys.robotId(robot.id), name: robot.name }, condition: { exists: false } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return robot;
  }

  async update(robot: Robot, changes: Partial<Pick<Robot, 'description' | 'disabled' | 'permissions' | 'secretHash' | 'expiresAt' | 'duration'>>): Promise<Robot> {
    const revoked = (changes.secretHash !== undefined && changes.secretHash !== robot.secretHash) || (changes.disabled === true && !robot.disabled);
    const credentialVersion = revoked ? robot.credentialVersion + 1 : robot.credentialVersion;
    const next = { ...robot, ...changes, credentialVersion, updatedAt: this.now().toISOString() };
    await this.table.put(toItem(next), { exists: true });
    return next;
  }

  async delete(robot: Robot): Promise<void> {
    await this.table.transact([{ delete: keys.robot(robot.name) }, { delete: keys.robotId(robot.id) }]);
  }

  /** Robots of one project (or system robots with `*`), or all when `project` is undefined. */
  async list(project?: string): Promise<Robot[]> {
    const items = await this.table.query(indexes.robots, {
      index: 'gsi1',
      ...(project === undefined ? {} : { prefix: `${project}#` }),
    });
    return items.map(fromItem);
  }
}
