import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_FORMAT_CONFIG, MetadataError, checkCompatible, effectiveFormatConfig, formatConfig, newMetadata,
  parseMetadata, serializeMetadata, type ErofsFormat, type RepoMetadata,
} from '../../../src/repository/meta';
import { SHA256_ALGORITHM, SHA512_ALGORITHM } from '../../../src/verity/algorithm';

const DEFAULT_INIT = `{
  "version": 1,
  "algorithm": "fsverity-sha512-12",
  "features": {
    "compatible": [],
    "read-only-compatible": [
      "v1_erofs"
    ],
    "incompatible": []
  },
  "erofs_formats": {
    "default": 1
  }
}
`;

function parseError(text: string): string {
  try {
    parseMetadata(text);
  } catch (e) {
    expect(e).toBeInstanceOf(MetadataError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

function compatError(meta: RepoMetadata, expected = meta.algorithm): string {
  try {
    checkCompatible(meta, expected);
  } catch (e) {
    expect(e).toBeInstanceOf(MetadataError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('meta.json serialisation', () => {
  it('default cfsctl init output is byte-exact', () => {
    expect(serializeMetadata(newMetadata(SHA512_ALGORITHM))).toBe(DEFAULT_INIT);
  });

  it('V2 default has no v1_erofs; extra is written sorted and without the default', () => {
    expect(serializeMetadata(newMetadata(SHA256_ALGORITHM, formatConfig(2)))).toBe(`{
  "version": 1,
  "algorithm": "fsverity-sha256-12",
  "features": {
    "compatible": [],
    "read-only-compatible": [],
    "incompatible": []
  },
  "erofs_formats": {
    "default": 2
  }
}
`);
    const dual = serializeMetadata(newMetadata(SHA256_ALGORITHM, formatConfig(1, [2, 1, 2, 0])));
    expect(dual).toContain(`  "erofs_formats": {
    "default": 1,
    "extra": [
      0,
      2
    ]
  }
}
`);
    expect(dual).toContain('"v1_erofs"');
  });

  it('round trip (property)', () => {
    const fmt = fc.constantFrom<ErofsFormat>(0, 1, 2);
    const names = fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.constantFrom(SHA256_ALGORITHM, SHA512_ALGORITHM), fmt, fc.array(fmt, { maxLength: 4 }),
        names, names, names, fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(),
        (alg, def, extra, c, ro, inc, version, withFormats) => {
          const meta: RepoMetadata = {
            version, algorithm: alg, features: { compatible: c, readOnlyCompatible: ro, incompatible: inc },
            erofsFormats: withFormats ? formatConfig(def, extra) : undefined,
          };
          const text = serializeMetadata(meta);
          expect(text.endsWith('}\n')).toBe(true);
          const back = parseMetadata(text);
          expect(back).toEqual(meta);
          expect(serializeMetadata(back)).toBe(text);
        },
      ),
    );
  });

  it('parses the default output and ignores unknown fields', () => {
    const m = parseMetadata(DEFAULT_INIT.replace('"version": 1,', '"version": 1, "erofs_version": 7, "x": {},'));
    expect(m.algorithm.hash).toBe('sha512');
    expect(m.erofsFormats).toEqual(DEFAULT_FORMAT_CONFIG);
    expect(checkCompatible(m).readOnly).toBe(false);
  });

  it('features and erofs_formats are optional', () => {
    const m = parseMetadata('{"version":1,"algorithm":"fsverity-sha256-12"}');
    expect(m.features).toEqual({ compatible: [], readOnlyCompatible: [], incompatible: [] });
    expect(m.erofsFormats).toBeUndefined();
    expect(parseMetadata('{"version":1,"algorithm":"fsverity-sha256-12","features":{"incompatible":["a"]}}').features.compatible).toEqual([]);
  });
});

describe('meta.json errors', () => {
  it('parse failures', () => {
    expect(parseError('')).toMatch(/^failed to parse meta\.json: /);
    expect(parseError('[]')).toBe('failed to parse meta.json: expected a JSON object');
    expect(parseError('{"algorithm":"fsverity-sha256-12"}')).toBe('failed to parse meta.json: missing field `version`');
    expect(parseError('{"version":-1,"algorithm":"fsverity-sha256-12"}')).toBe('failed to parse meta.json: version: expected a u32');
    expect(parseError('{"version":1}')).toBe('failed to parse meta.json: missing field `algorithm`');
    expect(parseError('{"version":1,"algorithm":"fsverity-sha256-12","erofs_formats":{"default":3}}')).toBe(
      'failed to parse meta.json: erofs_formats.default: expected 0, 1 or 2, got 3',
    );
    expect(parseError('{"version":1,"algorithm":"fsverity-sha256-12","features":{"compatible":[1]}}')).toBe(
      'failed to parse meta.json: features.compatible: expected an array of strings',
    );
  });

  it('algorithm texts', () => {
    const alg = (a: string): string => parseError(`{"version":1,"algorithm":${JSON.stringify(a)}}`);
    expect(alg('sha256-12')).toBe("failed to parse meta.json: algorithm must start with 'fsverity-'");
    expect(alg('fsverity-sha256')).toBe("failed to parse meta.json: algorithm must be 'fsverity-<hash>-<lg_blocksize>'");
    expect(alg('fsverity-sha256-x')).toBe("failed to parse meta.json: invalid lg_blocksize 'x'");
    expect(alg('fsverity-sha256-300')).toBe("failed to parse meta.json: invalid lg_blocksize '300'");
    expect(alg('fsverity-sha256-13')).toBe('failed to parse meta.json: unsupported lg_blocksize 13 (only 12 is currently supported)');
    expect(alg('fsverity-md5-12')).toBe("failed to parse meta.json: unsupported hash algorithm 'md5' (expected sha256 or sha512)");
  });

  it('check_compatible order and texts', () => {
    const base = newMetadata(SHA512_ALGORITHM);
    expect(compatError({ ...base, version: 2, features: { ...base.features, incompatible: ['x'] } }, SHA256_ALGORITHM)).toBe(
      'unsupported repository format version 2 (this tool supports up to 1)',
    );
    expect(compatError({ ...base, features: { ...base.features, incompatible: ['x'] } }, SHA256_ALGORITHM)).toBe(
      'repository algorithm fsverity-sha512-12 does not match expected fsverity-sha256-12',
    );
    expect(compatError({ ...base, features: { ...base.features, incompatible: ['x', 'y'] } })).toBe(
      'repository requires unknown incompatible features: ["x", "y"]',
    );
    const ro = checkCompatible({ ...base, features: { compatible: ['whatever'], readOnlyCompatible: ['v1_erofs', 'future'], incompatible: [] } });
    expect(ro).toEqual({ readOnly: true, unknownReadOnly: ['future'] });
  });
});

describe('effective EROFS format', () => {
  const m = (erofsFormats: RepoMetadata['erofsFormats'], ro: string[]): RepoMetadata => ({
    version: 1, algorithm: SHA256_ALGORITHM, features: { compatible: [], readOnlyCompatible: ro, incompatible: [] }, erofsFormats,
  });
  it('follows format_config()', () => {
    expect(effectiveFormatConfig(m(formatConfig(1), []))).toEqual(formatConfig(1));
    expect(effectiveFormatConfig(m(formatConfig(1, [2]), ['v1_erofs']))).toEqual(formatConfig(1, [2]));
    expect(effectiveFormatConfig(m(formatConfig(2), ['v1_erofs']))).toEqual(formatConfig(1));
    expect(effectiveFormatConfig(m(undefined, ['v1_erofs']))).toEqual(formatConfig(1));
    expect(effectiveFormatConfig(m(undefined, []))).toEqual(formatConfig(2));
    expect(effectiveFormatConfig(m(formatConfig(2), []))).toEqual(formatConfig(2));
    expect(effectiveFormatConfig(m(formatConfig(0), []))).toEqual(formatConfig(0));
  });
  it('writers set v1_erofs iff the default is V1', () => {
    for (const d of [0, 1, 2] as const) {
      expect(newMetadata(SHA256_ALGORITHM, formatConfig(d, [2])).features.readOnlyCompatible.includes('v1_erofs')).toBe(d === 1);
      expect(effectiveFormatConfig(newMetadata(SHA256_ALGORITHM, formatConfig(d)))).toEqual(formatConfig(d));
    }
  });
});
