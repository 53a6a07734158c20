import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CmdlineError,
  collectSetupRootKargs,
  composefsCmdlineFromCmdline,
  decodeHexFixed,
  parseSetupRootKargs,
  splitCmdline,
  toCmdlineArg,
  type ComposefsKarg,
  type KargSpec,
} from '../../../src/cmdline/index.js';
import { digestSize, type HashName } from '../../../src/verity/algorithm.js';
import { H128, H64 } from './fixtures.js';

const SEPARATORS = [' ', '\t', '\n', '\f', '\r'] as const;
const HEX_CHARS = [...'0123456789abcdefABCDEF'];

const separatorArb = fc.string({ unit: fc.constantFrom(...SEPARATORS), minLength: 1, maxLength: 3 });

const FRAGMENTS = [
  'composefs=',
  'composefs.digest=',
  'composefs',
  '?',
  'v1-',
  'v2-',
  'v3-',
  'sha256-12:',
  'sha512-12:',
  'sha256-8:',
  'md5-12:',
  'sha256-+12:',
  '-',
  ':',
  '"',
  '--',
  ' ',
  '\t',
  '\n',
  '\u000b',
  '\u00a0',
  'é',
  '0',
  'a',
  'F',
  'x',
  H64,
  H128,
  H64.slice(1),
  'rw',
  'root=UUID=abc',
];

/** `good` most of the time, one of `bad` sometimes. */
function mostly(good: string, ...bad: string[]): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: fc.constant(good), weight: 5 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });
}

/** Near-miss composefs tokens: every part is usually right and sometimes slightly wrong. */
const nearMissTokenArb = fc
  .tuple(
    fc.constantFrom('composefs=', 'composefs.digest=', 'composefs.digest=', 'composefs'),
    fc.constantFrom('', '', '?', '??', '"'),
    fc.oneof(fc.constantFrom('v1', 'v2'), mostly('v1', 'v3', 'V1', '')),
    mostly('-', '', '--', '?-'),
    fc.oneof(fc.constantFrom('sha256', 'sha512'), mostly('sha256', 'md5', '?sha256', '')),
    mostly('-', '', ':'),
    mostly('12', '+12', '012', '8', '256', 'x', ''),
    mostly(':', '', '::'),
    fc.oneof(
      fc.constantFrom(H64, H128, H64.toUpperCase(), H64.slice(1), `${H64}0`, `"${H64.slice(2)}"`, `${H64.slice(2)}zz`, `${H128.slice(3)}é`, 'notahex', ''),
      fc.string({ unit: fc.constantFrom(...HEX_CHARS, 'g', '"'), maxLength: 130 }),
    ),
  )
  .map(([key, q, v, d1, h, d2, lg, c, hex]) => (key === 'composefs=' ? key + q + hex : key + q + v + d1 + h + d2 + lg + c + hex));

const nearMissLineArb = fc
  .array(
    fc.oneof({ arbitrary: nearMissTokenArb, weight: 6 }, { arbitrary: fc.constantFrom('rw', '--', '"', 'a "b'), weight: 1 }),
    { minLength: 1, maxLength: 5 },
  )
  .chain((tokens) =>
    fc
      .array(fc.constantFrom(' ', ' ', '\t', '\n', '\u000b', '\u00a0'), { minLength: tokens.length, maxLength: tokens.length })
      .map((seps) => tokens.map((t, i) => t + (seps[i] ?? ' ')).join('')),
  );

const fuzzArb = fc.oneof(
  { arbitrary: nearMissLineArb, weight: 4 },
  { arbitrary: fc.string({ maxLength: 60 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 14 }).map((parts) => parts.join('')), weight: 2 },
  {
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })), { maxLength: 10 })
      .map((parts) => parts.join('')),
    weight: 1,
  },
);

describe('property: parseSetupRootKargs never throws anything but CmdlineError', () => {
  it('returns a valid list or throws CmdlineError', () => {
    fc.assert(
      fc.property(fuzzArb, (cmdline) => {
        let kargs: ComposefsKarg[];
        try {
          kargs = parseSetupRootKargs(cmdline);
        } catch (err) {
          expect(err).toBeInstanceOf(CmdlineError);
          const e = err as CmdlineError;
          expect(e.chain.length).toBeGreaterThan(0);
          expect(e.message).toBe(e.chain[0]);
          for (const m of e.chain) expect(typeof m).toBe('string');
          expect(e.formatChain().startsWith(`Error: ${e.message}`)).toBe(true);
          return;
        }
        expect(kargs.length).toBeGreaterThan(0);
        const relevant = splitCmdline(cmdline).filter((t) => t.startsWith('composefs=') || t.startsWith('composefs.digest='));
        expect(kargs).toHaveLength(relevant.length);
        for (const k of kargs) {
          expect(decodeHexFixed(k.hex, digestSize(k.hash))).toHaveLength(digestSize(k.hash));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

const hashArb = fc.constantFrom<HashName>('sha256', 'sha512');
const specArb: fc.Arbitrary<KargSpec & { version: 1 | 2 }> = hashArb.chain((hash) =>
  fc.record({
    version: fc.constantFrom<1 | 2>(1, 2),
    hash: fc.constant(hash),
    hex: fc.string({ unit: fc.constantFrom(...HEX_CHARS), minLength: 2 * digestSize(hash), maxLength: 2 * digestSize(hash) }),
    insecure: fc.boolean(),
  }),
);

/** Tokens that must not be picked up: no separators outside balanced quotes, no composefs keys. */
const unrelatedArb = fc.oneof(
  fc.constantFrom('rw', 'ro', 'quiet', 'splash', '--', 'composefs', 'root=UUID=abc', 'composefs.digest', 'console=ttyS0,115200', 'foo="a b\tc"', 'x\u000by', 'a\u00a0composefs=1'),
  fc
    .string({ unit: fc.constantFrom(...'abcz=.-_?:0129'), minLength: 1, maxLength: 12 })
    .filter((s) => !s.startsWith('composefs=') && !s.startsWith('composefs.digest=')),
);

function expectedKarg(spec: KargSpec & { version: 1 | 2 }): ComposefsKarg {
  return spec.version === 1
    ? { key: 'composefs.digest', hex: spec.hex, insecure: spec.insecure, hash: spec.hash, version: 1 }
    : { key: 'composefs', hex: spec.hex, insecure: spec.insecure, hash: spec.hash };
}

const lineArb = fc
  .array(fc.oneof(specArb.map((s) => ({ kind: 'karg' as const, spec: s })), unrelatedArb.map((t) => ({ kind: 'other' as const, text: t }))), {
    maxLength: 10,
  })
  .chain((items) =>
    fc.tuple(fc.constant(items), fc.array(separatorArb, { minLength: items.length + 1, maxLength: items.length + 1 })),
  )
  .map(([items, seps]) => {
    let line = seps[0] ?? '';
    items.forEach((item, i) => {
      line += (item.kind === 'karg' ? toCmdlineArg(item.spec) : item.text) + (seps[i + 1] ?? ' ');
    });
    return { items, line };
  });

describe('property: emit → join → parse round trip', () => {
  it('gives back the kargs in order', () => {
    fc.assert(
      fc.property(lineArb, ({ items, line }) => {
        const expected = items.flatMap((it) => (it.kind === 'karg' ? [expectedKarg(it.spec)] : []));
        expect(collectSetupRootKargs(line)).toEqual(expected);
        if (expected.length === 0) {
          expect(() => parseSetupRootKargs(line)).toThrow('no composefs karg found in kernel cmdline');
        } else {
          expect(parseSetupRootKargs(line)).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('property: splitCmdline', () => {
  const quoteFree = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\f', '\r', '\u000b', '\u00a0', 'a', 'b', '=', '-', '?', 'é'), maxLength: 40 });

  it('joining with single spaces is idempotent for quote-free input', () => {
    fc.assert(
      fc.property(quoteFree, (s) => {
        const once = splitCmdline(s).join(' ');
        expect(splitCmdline(once)).toEqual(splitCmdline(s));
        expect(splitCmdline(once).join(' ')).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('tokens concatenated with their separators give back the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const tokens = splitCmdline(s);
        expect(tokens.join('').length + tokens.length - 1).toBe(s.length);
        for (const t of tokens) expect(s.includes(t)).toBe(true);
      }),
    );
  });
});

describe('property: policy (b) prefers composefs.digest= over composefs=', () => {
  it('matches a reference model', () => {
    fc.assert(
      fc.property(lineArb, hashArb, ({ items, line }, hash) => {
        const specs = items.flatMap((it) => (it.kind === 'karg' ? [it.spec] : []));
        const digestMatch = specs.find((s) => s.version === 1 && s.hash === hash);
        const firstV2 = specs.find((s) => s.version === 2);
        if (digestMatch !== undefined) {
          expect(composefsCmdlineFromCmdline(line, hash)).toEqual({ version: 1, hex: digestMatch.hex.toLowerCase(), insecure: digestMatch.insecure });
        } else if (firstV2 === undefined) {
          expect(composefsCmdlineFromCmdline(line, hash)).toBeNull();
        } else if (firstV2.hash === hash) {
          expect(composefsCmdlineFromCmdline(line, hash)).toEqual({ version: 2, hex: firstV2.hex.toLowerCase(), insecure: firstV2.insecure });
        } else {
          expect(() => composefsCmdlineFromCmdline(line, hash)).toThrow(CmdlineError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a composefs.digest= anywhere beats any number of earlier composefs=', () => {
    fc.assert(
      fc.property(fc.array(specArb.map((s) => ({ ...s, version: 2 as const })), { maxLength: 4 }), specArb, hashArb, (v2s, d, hash) => {
        const digest = { ...d, version: 1 as const, hash };
        const hex = hash === d.hash ? d.hex : (hash === 'sha256' ? H64 : H128);
        const line = [...v2s.map(toCmdlineArg), toCmdlineArg({ ...digest, hex })].join(' ');
        expect(composefsCmdlineFromCmdline(line, hash)).toEqual({ version: 1, hex: hex.toLowerCase(), insecure: d.insecure });
      }),
    );
  });
});
