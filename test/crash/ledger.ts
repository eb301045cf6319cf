/**
 * What the registry must hold, built only from the answers it gave. Every piece of state the
 * workload touches is a slot: a blob linked into a repository (true or false), a manifest in a
 * repository (true or false), a tag (the digest it names, or null). An operation names the slots
 * it changes. Once the server acknowledges it (2xx), its effects are what the slots hold; while it
 * is in flight nothing changes; when the server is killed with it in flight, each effect becomes
 * possible but not required. After a restart every slot must hold its acknowledged value or one
 * of those possible ones, and then the observed value becomes the new acknowledged one.
 */
export type SlotValue = boolean | string | null;

export const slot = {
  blob: (repository: string, digest: string) => `blob ${repository} ${digest}`,
  manifest: (repository: string, digest: string) => `manifest ${repository} ${digest}`,
  tag: (repository: string, tag: string) => `tag ${repository} ${tag}`,
};

export type SlotKind = 'blob' | 'manifest' | 'tag';

export function parseSlot(key: string): { kind: SlotKind; repository: string; name: string } {
  const [kind, repository, name] = key.split(' ') as [SlotKind, string, string];
  return { kind, repository, name };
}

export interface Effect {
  key: string;
  to: SlotValue;
}

export interface Operation {
  id: number;
  label: string;
  effects: Effect[];
  /** Runs the same push again after a restart; it must succeed (throws otherwise). */
  repeat: () => Promise<void>;
}

interface Slot {
  value: SlotValue;
  maybe: SlotValue[];
}

export class Ledger {
  private readonly slots = new Map<string, Slot>();
  private readonly inFlight = new Map<number, Operation>();
  private nextId = 1;
  acknowledged = 0;
  /** In-doubt slots the restarted registry showed with an in-flight operation's effect applied. */
  landed = 0;

  private slotOf(key: string): Slot {
    let found = this.slots.get(key);
    if (!found) {
      found = { value: parseSlot(key).kind === 'tag' ? null : false, maybe: [] };
      this.slots.set(key, found);
    }
    return found;
  }

  /** An operation is about to be sent. */
  begin(label: string, effects: Effect[], repeat: () => Promise<void>): Operation {
    const operation = { id: this.nextId++, label, effects, repeat };
    for (const effect of effects) this.slotOf(effect.key);
    this.inFlight.set(operation.id, operation);
    return operation;
  }

  /** The server answered 2xx: the effects hold from now on. */
  acknowledge(operation: Operation): void {
    this.inFlight.delete(operation.id);
    for (const effect of operation.effects) this.slotOf(effect.key).value = effect.to;
    this.acknowledged++;
  }

  /** The operation was refused or had no effect by design: nothing changed. */
  drop(operation: Operation): void {
    this.inFlight.delete(operation.id);
  }

  /** The server was killed: whatever was in flight may or may not have happened. */
  crash(): Operation[] {
    const interrupted = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const operation of interrupted) {
      for (const effect of operation.effects) this.slotOf(effect.key).maybe.push(effect.to);
    }
    return interrupted;
  }

  /** The acknowledged value of a slot (for the workload's choices while nothing is in doubt). */
  value(key: string): SlotValue {
    return this.slots.get(key)?.value ?? (parseSlot(key).kind === 'tag' ? null : false);
  }

  allowed(key: string): SlotValue[] {
    const found = this.slotOf(key);
    return [found.value, ...found.maybe];
  }

  /** Records what the restarted registry holds. False (changing nothing) when it was never allowed. */
  settle(key: string, observed: SlotValue): boolean {
    const found = this.slotOf(key);
    if (!this.allowed(key).includes(observed)) return false;
    if (observed !== found.value) this.landed++;
    found.value = observed;
    found.maybe = [];
    return true;
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  inDoubt(): number {
    return [...this.slots.values()].filter((found) => found.maybe.length > 0).length;
  }
}
