/**
 * `meta.json`: the repository's format description (boot.md §2.3).
 *
 * Serialisation is byte-identical to composefs-rs 0.9 (`serde_json::to_string_pretty` plus a
 * trailing newline): 2-space indent, fields in the order version, algorithm, features
 * (compatible, read-only-compatible, incompatible — always all three), erofs_formats (default,
 * then extra only when non-empty). `JSON.stringify(x, null, 2)` prints exactly what serde_json's
 * pretty printer prints for these value types (integers, ASCII-safe strings, arrays, objects;
 * empty arrays as `[]`), so it is used with a fixed key order.
 *
 * Compatibility policy (`checkCompatible`):
 *  - version > 1 → fatal; algorithm ≠ expected → fatal; unknown `incompatible` feature → fatal;
 *  - unknown `compatible` features and unknown top-level fields are ignored;
 *  - unknown `read-only-compatible` features: composefs-rs 0.9 computes "read-only" and then
 *    discards the result, so it still writes to such repositories. We DELIBERATELY DIFFER: such a
 *    repository is opened read-only (reads, image lookup, fsck and `gc --dry-run` work; every
 *    write, including gc, fails with a one-line error). A newer tool marked the feature
 *    read-only-compatible precisely because older writers could damage what it relies on.
 */
import {
  AlgorithmParseError, formatAlgorithmId, parseAlgorithmId, type VerityAlgorithm,
} from '../verity/algorithm.js';

/** `REPO_FORMAT_VERSION`. */
export const REPO_FORMAT_VERSION = 1;
export const META_FILENAME = 'meta.json';

/** EROFS image format versions a repository can be configured for. */
export type ErofsFormat = 0 | 1 | 2;

/** `FormatConfig`: the default format plus a set of extra formats also written on commit. */
export interface FormatConfig {
  readonly default: ErofsFormat;
  /** Sorted, without duplicates and without `default`. */
  readonly extra: readonly ErofsFormat[];
}

/** Known feature names (boot.md §2.3). */
export const FEATURE_V1_EROFS = 'v1_erofs';
export const KNOWN_COMPATIBLE: readonly string[] = [];
export const KNOWN_READ_ONLY_COMPATIBLE: readonly string[] = [FEATURE_V1_EROFS];
export const KNOWN_INCOMPATIBLE: readonly string[] = [];

export interface RepoFeatures {
  readonly compatible: readonly string[];
  readonly readOnlyCompatible: readonly string[];
  readonly incompatible: readonly string[];
}

export interface RepoMetadata {
  readonly version: number;
  readonly algorithm: VerityAlgorithm;
  readonly features: RepoFeatures;
  /** undefined when the field was absent from the file (upstream reads that as `{"default":2}`). */
  readonly erofsFormats: FormatConfig | undefined;
}

/** Error of parsing or checking meta.json; `message` is the exact upstream text. */
export class MetadataError extends Error {
  override readonly name = 'MetadataError';
  constructor(
    readonly kind: 'Parse' | 'Version' | 'Algorithm' | 'Incompatible',
    message: string,
  ) {
    super(message);
  }
}

export const PARSE_ERROR_TEXT = 'failed to parse meta.json';

/** Builds a FormatConfig: extra is made a sorted set without the default. */
export function formatConfig(def: ErofsFormat, extra: Iterable<ErofsFormat> = []): FormatConfig {
  const set = [...new Set(extra)].filter((v) => v !== def).sort((a, b) => a - b);
  return Object.freeze({ default: def, extra: Object.freeze(set) });
}

export const DEFAULT_FORMAT_CONFIG: FormatConfig = formatConfig(1);

export function formatConfigEquals(a: FormatConfig, b: FormatConfig): boolean {
  return a.default === b.default && a.extra.length === b.extra.length && a.extra.every((v, i) => b.extra[i] === v);
}

/** `V1`, or `V1+V2` when there are extra formats (used in the re-initialisation error). */
export function describeFormatConfig(c: FormatConfig): string {
  return [c.default, ...c.extra].map((v) => `V${v}`).join('+');
}

/** `RepoMetadata::new`: the metadata a writer produces for an algorithm and format config. */
export function newMetadata(algorithm: VerityAlgorithm, formats: FormatConfig = DEFAULT_FORMAT_CONFIG): RepoMetadata {
  return {
    version: REPO_FORMAT_VERSION,
    algorithm,
    features: {
      compatible: [],
      readOnlyCompatible: formats.default === 1 ? [FEATURE_V1_EROFS] : [],
      incompatible: [],
    },
    erofsFormats: formats,
  };
}

/** Exact bytes of meta.json (as text). */
export function serializeMetadata(meta: RepoMetadata): string {
  const out: Record<string, unknown> = {
    version: meta.version,
    algorithm: formatAlgorithmId(meta.algorithm),
    features: {
      compatible: [...meta.features.compatible],
      'read-only-compatible': [...meta.features.readOnlyCompatible],
      incompatible: [...meta.features.incompatible],
    },
  };
  if (meta.erofsFormats !== undefined) {
    const f: Record<string, unknown> = { default: meta.erofsFormats.default };
    if (meta.erofsFormats.extra.length > 0) f['extra'] = [...meta.erofsFormats.extra];
    out['erofs_formats'] = f;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

function parseFail(detail: string): never {
  throw new MetadataError('Parse', `${PARSE_ERROR_TEXT}: ${detail}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringArray(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) parseFail(`features.${field}: expected an array of strings`);
  return [...(v as string[])];
}

function erofsFormat(v: unknown, field: string): ErofsFormat {
  if (v === 0 || v === 1 || v === 2) return v;
  return parseFail(`${field}: expected 0, 1 or 2, got ${JSON.stringify(v)}`);
}

/**
 * Parses meta.json. Every structural problem (bad JSON, missing or mistyped field, algorithm
 * that does not parse) is a MetadataError whose message starts with `failed to parse meta.json`.
 * Checks of version/algorithm/features against this tool are in {@link checkCompatible}.
 */
export function parseMetadata(text: string | Uint8Array): RepoMetadata {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(s);
  } catch (e) {
    return parseFail((e as Error).message);
  }
  if (!isObject(raw)) return parseFail('expected a JSON object');
  const version = raw['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 0xffffffff) {
    return parseFail(version === undefined ? 'missing field `version`' : 'version: expected a u32');
  }
  const alg = raw['algorithm'];
  if (typeof alg !== 'string') return parseFail(alg === undefined ? 'missing field `algorithm`' : 'algorithm: expected a string');
  let algorithm: VerityAlgorithm;
  try {
    algorithm = parseAlgorithmId(alg);
  } catch (e) {
    if (e instanceof AlgorithmParseError) return parseFail(e.message);
    throw e;
  }
  const fRaw = raw['features'];
  if (fRaw !== undefined && !isObject(fRaw)) return parseFail('features: expected an object');
  const features: RepoFeatures = {
    compatible: stringArray(fRaw?.['compatible'], 'compatible'),
    readOnlyCompatible: stringArray(fRaw?.['read-only-compatible'], 'read-only-compatible'),
    incompatible: stringArray(fRaw?.['incompatible'], 'incompatible'),
  };
  let erofsFormats: FormatConfig | undefined;
  const eRaw = raw['erofs_formats'];
  if (eRaw !== undefined) {
    if (!isObject(eRaw)) return parseFail('erofs_formats: expected an object');
    if (eRaw['default'] === undefined) return parseFail('erofs_formats: missing field `default`');
    const def = erofsFormat(eRaw['default'], 'erofs_formats.default');
    const ex = eRaw['extra'];
    if (ex !== undefined && !Array.isArray(ex)) return parseFail('erofs_formats.extra: expected an array');
    erofsFormats = formatConfig(def, ((ex as unknown[] | undefined) ?? []).map((v) => erofsFormat(v, 'erofs_formats.extra')));
  }
  return { version, algorithm, features, erofsFormats };
}

export interface Compatibility {
  /** Unknown read-only-compatible features: we refuse to write (see module comment). */
  readonly unknownReadOnly: readonly string[];
  readonly readOnly: boolean;
}

/** Rust `{:?}` of a `Vec<String>` of plain names: `["a", "b"]`. */
export function debugStringList(names: readonly string[]): string {
  return `[${names.map((n) => JSON.stringify(n)).join(', ')}]`;
}

/**
 * `check_compatible`: version, then algorithm (when `expected` is given), then unknown
 * incompatible features. Returns the read-only verdict for unknown read-only-compatible names.
 * @throws MetadataError with the exact upstream text.
 */
export function checkCompatible(meta: RepoMetadata, expected?: VerityAlgorithm): Compatibility {
  if (meta.version > REPO_FORMAT_VERSION) {
    throw new MetadataError(
      'Version',
      `unsupported repository format version ${meta.version} (this tool supports up to ${REPO_FORMAT_VERSION})`,
    );
  }
  if (expected !== undefined && expected.hash !== meta.algorithm.hash) {
    throw new MetadataError(
      'Algorithm',
      `repository algorithm ${formatAlgorithmId(meta.algorithm)} does not match expected ${formatAlgorithmId(expected)}`,
    );
  }
  const badIncompat = meta.features.incompatible.filter((f) => !KNOWN_INCOMPATIBLE.includes(f));
  if (badIncompat.length > 0) {
    throw new MetadataError('Incompatible', `repository requires unknown incompatible features: ${debugStringList(badIncompat)}`);
  }
  const unknownReadOnly = meta.features.readOnlyCompatible.filter((f) => !KNOWN_READ_ONLY_COMPATIBLE.includes(f));
  return { unknownReadOnly, readOnly: unknownReadOnly.length > 0 };
}

const LEGACY_DEFAULT = formatConfig(2);

/**
 * `format_config()`: the effective EROFS formats.
 * 1. `erofs_formats` (absent = `{"default":2}`) other than `{"default":2}` → it;
 * 2. else `v1_erofs` in read-only-compatible → V1 only;
 * 3. else V2 only (repositories from before V1 existed).
 */
export function effectiveFormatConfig(meta: RepoMetadata): FormatConfig {
  const f = meta.erofsFormats ?? LEGACY_DEFAULT;
  if (!formatConfigEquals(f, LEGACY_DEFAULT)) return f;
  if (meta.features.readOnlyCompatible.includes(FEATURE_V1_EROFS)) return DEFAULT_FORMAT_CONFIG;
  return LEGACY_DEFAULT;
}
