import type { AppDeps } from '../app-env.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';
import { bundlePredicateAnnotation, cosignSignPredicate, cosignSignatureTag, isSigstoreBundleType, signatureTypes } from './media-types.js';

/** Harbor's accessory types Berth recognizes; any other referrer is a generic `subject.accessory`. */
export type AccessoryType = 'signature.cosign' | 'signature.notation' | 'subject.accessory';

/** How the accessory is attached: cosign's `.sig` tag, or an OCI 1.1 referrer (`subject`). */
export type AccessoryForm = 'tag' | 'referrer';

/** An artifact's accessory, in Harbor's `Accessory` shape (less its database ids) plus its form. */
export interface Accessory {
  digest: string;
  size: number;
  type: AccessoryType;
  media_type: string;
  artifact_type?: string;
  form: AccessoryForm;
  subject_artifact_digest: string;
  subject_artifact_repo: string;
  icon: string;
  creation_time?: string;
}

/** The type a referrer's descriptor says it is (artifactType, and for bundles their predicate). */
export function accessoryTypeOf(artifactType: string | undefined, annotations: Record<string, string> | undefined): AccessoryType {
  if (artifactType === signatureTypes.notary) return 'signature.notation';
  if (artifactType === signatureTypes.cosignReferrer) return 'signature.cosign';
  if (isSigstoreBundleType(artifactType)) {
    const predicate = annotations?.[bundlePredicateAnnotation];
    return predicate === undefined || predicate === cosignSignPredicate ? 'signature.cosign' : 'subject.accessory';
  }
  return 'subject.accessory';
}

/**
 * The accessories of `digest` in `repository`: its cosign `.sig` tag (when present) and every
 * referrer whose subject it is, signatures typed as Harbor types them. Reads one tag, one referrer
 * partition and one item per accessory; an absent artifact simply has none.
 */
export async function accessoriesOf(deps: AppDeps, repository: string, digest: string): Promise<Accessory[]> {
  const manifests = new Manifests(deps);
  const found: Accessory[] = [];
  const base = { subject_artifact_digest: digest, subject_artifact_repo: repository, icon: '' };
  const tag = cosignSignatureTag(digest);
  // A sha512 digest makes a tag past the grammar's 128 characters: cosign cannot have pushed it.
  const sig = tag.length <= 128 ? await manifests.resolve(repository, { tag }) : null;
  if (sig) {
    found.push({
      ...base,
      digest: sig.digest,
      size: sig.size,
      type: 'signature.cosign',
      media_type: sig.mediaType,
      form: 'tag',
      ...(typeof sig.item.createdAt === 'string' ? { creation_time: sig.item.createdAt } : {}),
    });
  }
  const referrers = await manifests.referrers(repository, digest, undefined);
  const created = await Promise.all(referrers.map((r) => deps.table.get(keys.manifest(repository, r.digest))));
  referrers.forEach((referrer, i) => {
    if (referrer.digest === sig?.digest) return;
    const createdAt = created[i]?.createdAt;
    found.push({
      ...base,
      digest: referrer.digest,
      size: referrer.size,
      type: accessoryTypeOf(referrer.artifactType, referrer.annotations),
      media_type: referrer.mediaType,
      ...(referrer.artifactType ? { artifact_type: referrer.artifactType } : {}),
      form: 'referrer',
      ...(typeof createdAt === 'string' ? { creation_time: createdAt } : {}),
    });
  });
  return found;
}
