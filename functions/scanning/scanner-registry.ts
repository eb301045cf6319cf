import { ConditionFailedError, type Table } from '../ports/table.js';
import { scanKeys } from './keys.js';
import { builtinScanner } from './report.js';

/** A scanner registration in Harbor's `ScannerRegistration` shape. */
export interface ScannerRegistration {
  uuid: string;
  name: string;
  description: string;
  url: string;
  disabled: boolean;
  is_default: boolean;
  /** '', 'Basic', 'Bearer' or 'X-ScannerAdapter-API-Key', with `access_credential` its value. */
  auth: string;
  access_credential: string;
  skip_certVerify: boolean;
  use_internal_addr: boolean;
  create_time: string;
  update_time: string;
  adapter?: string;
  vendor?: string;
  version?: string;
}

/** The scanner that ships with Berth: always registered, the default until another is chosen. */
export const builtinUuid = 'berth-builtin';

function builtin(isDefault: boolean): ScannerRegistration {
  return {
    uuid: builtinUuid,
    name: builtinScanner.name,
    description: 'The scanner built into Berth (OS packages and npm lockfiles, OSV data)',
    url: 'builtin:',
    disabled: false,
    is_default: isDefault,
    auth: '',
    access_credential: '',
    skip_certVerify: false,
    use_internal_addr: true,
    create_time: new Date(0).toISOString(),
    update_time: new Date(0).toISOString(),
    adapter: builtinScanner.name,
    vendor: builtinScanner.vendor,
    version: builtinScanner.version,
  };
}

/** Registrations of scanner adapters (`/api/v2.0/scanners`). */
export class ScannerRegistry {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
  ) {}

  private async defaultUuid(): Promise<string> {
    return ((await this.table.get(scanKeys.config('default-scanner')))?.uuid as string | undefined) ?? builtinUuid;
  }

  async list(): Promise<ScannerRegistration[]> {
    const chosen = await this.defaultUuid();
    const items = await this.table.query(scanKeys.scannersIndex, { index: 'gsi1' });
    const stored = items.map((item) => ({ ...(item.registration as unknown as ScannerRegistration), is_default: item.sk === 'meta' && (item.registration as { uuid: string }).uuid === chosen }));
    return [builtin(chosen === builtinUuid || !stored.some((s) => s.is_default)), ...stored];
  }

  async get(uuid: string): Promise<ScannerRegistration | null> {
    return (await this.list()).find((r) => r.uuid === uuid) ?? null;
  }

  /** The registration scans go to: the chosen default when it is enabled, else the built-in one. */
  async current(): Promise<ScannerRegistration> {
    const all = await this.list();
    const chosen = all.find((r) => r.is_default && !r.disabled);
    return chosen ?? builtin(true);
  }

  /** Adds a registration; null when the name is taken (names are unique, as in Harbor). */
  async create(fields: Omit<ScannerRegistration, 'uuid' | 'is_default' | 'create_time' | 'update_time'>): Promise<ScannerRegistration | null> {
    if (fields.name === builtinScanner.name || (await this.list()).some((r) => r.name === fields.name)) return null;
    const at = this.now().toISOString();
    const registration: ScannerRegistration = { ...fields, uuid: crypto.randomUUID(), is_default: false, create_time: at, update_time: at };
    try {
      await this.table.transact([
        { put: scanKeys.scannerName(fields.name), condition: { exists: false } },
        { put: { ...scanKeys.scanner(registration.uuid), gsi1pk: scanKeys.scannersIndex, gsi1sk: fields.name, registration: registration as never } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return registration;
  }

  async update(uuid: string, fields: Partial<Omit<ScannerRegistration, 'uuid' | 'create_time'>>): Promise<ScannerRegistration | null> {
    const item = await this.table.get(scanKeys.scanner(uuid));
    if (!item) return null;
    const current = item.registration as unknown as ScannerRegistration;
    const next: ScannerRegistration = { ...current, ...fields, uuid, is_default: false, update_time: this.now().toISOString() };
    if (next.name !== current.name) {
      if (next.name === builtinScanner.name) return null;
      try {
        await this.table.transact([
          { put: scanKeys.scannerName(next.name), condition: { exists: false } },
          { delete: scanKeys.scannerName(current.name) },
          { put: { ...scanKeys.scanner(uuid), gsi1pk: scanKeys.scannersIndex, gsi1sk: next.name, registration: next as never } },
        ]);
      } catch (error) {
        if (error instanceof ConditionFailedError) return null;
        throw error;
      }
    } else {
      await this.table.put({ ...scanKeys.scanner(uuid), gsi1pk: scanKeys.scannersIndex, gsi1sk: next.name, registration: next as never });
    }
    return next;
  }

  async setDefault(uuid: string): Promise<boolean> {
    if (uuid !== builtinUuid && !(await this.table.get(scanKeys.scanner(uuid)))) return false;
    await this.table.put({ ...scanKeys.config('default-scanner'), uuid });
    return true;
  }

  async remove(uuid: string): Promise<ScannerRegistration | null> {
    const item = await this.table.get(scanKeys.scanner(uuid));
    if (!item) return null;
    const registration = item.registration as unknown as ScannerRegistration;
    await this.table.transact([{ delete: scanKeys.scanner(uuid) }, { delete: scanKeys.scannerName(registration.name) }]);
    if ((await this.defaultUuid()) === uuid) await this.table.delete(scanKeys.config('default-scanner'));
    return registration;
  }
}
