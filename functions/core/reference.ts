import { OciError } from './errors.js';

/** Repository name grammar (spec "Pulling manifests": `<name>`). */
const nameGrammar = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** Tag grammar (spec: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`). */
const tagGrammar = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Longest repository name accepted: Distribution and most clients stop at 255. */
export const maxNameLength = 255;

export function isValidName(name: string): boolean {
  return name.length <= maxNameLength && nameGrammar.test(name);
}

export function isValidTag(tag: string): boolean {
  return tagGrammar.test(tag);
}

/** NAME_INVALID unless `name` is a well-formed repository name. */
export function requireName(name: string): string {
  if (!isValidName(name)) throw new OciError('NAME_INVALID', 'invalid repository name', { name });
  return name;
}
