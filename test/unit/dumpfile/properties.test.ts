import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DumpfileError, dumpfileToString, parseDumpfile } from '../../../src/dumpfile/index.js';
import { arbDumpfile, arbTree, arbTreeAndDumpfile, compareTrees, serializeTree } from '../../helpers/tree-arb.js';

describe('dumpfile properties', () => {
  it('parse(serialize(tree)) equals the tree (random styles, hard links by identity)', () => {
    fc.assert(
      fc.property(arbTreeAndDumpfile(), ({ tree, dumpfile }) => {
        expect(compareTrees(parseDumpfile(dumpfile), tree)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('write(parse(x)) is a fixed point: parse → write → parse → write gives the same text', () => {
    fc.assert(
      fc.property(arbDumpfile(), (text) => {
        const once = dumpfileToString(parseDumpfile(text));
        const twice = dumpfileToString(parseDumpfile(once));
        expect(twice).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('our writer and the independent canonical serializer agree', () => {
    fc.assert(
      fc.property(arbTree(), (tree) => {
        expect(dumpfileToString(tree)).toBe(serializeTree(tree));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws anything but DumpfileError on garbage', () => {
    const unit = fc.constantFrom(...'/ 0123456789.-@=\\xabn\n\0\tq\xff'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200 }), (junk) => {
        try {
          parseDumpfile(`/ 0 40755 2 0 0 0 0.0 - - -\n${junk}`);
        } catch (e) {
          expect(e).toBeInstanceOf(DumpfileError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
