export {
  EscapeError,
  escapeBytes,
  escapeField,
  escapeInto,
  maxEscapedLength,
  needsUnescape,
  unescapeBytes,
  unescapeLatin1,
  type EscapeKind,
} from './escape.js';
export {
  DUMPFILE_LIMITS,
  DumpfileError,
  DumpfileParser,
  parseDumpfile,
  parseDumpfileStream,
} from './parse.js';
export { dumpfileToBuffer, dumpfileToString, writeDumpfile } from './write.js';
