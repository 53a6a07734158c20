/**
 * Child process for crash and concurrency tests:
 *   node child.cjs store <repo> <seed-from> <count> [notmpfile]   streaming-store objects
 *   node child.cjs ensure <repo> <seed-from> <count> [notmpfile]  in-memory store objects
 * Prints "ready" when the repository is open, then "done <n>".
 */
import { Repository } from '../../../src/repository/repository';
import { content } from './data';

const [mode, repoPath, fromText, countText, flag] = process.argv.slice(2);
const repo = Repository.open(repoPath!, { write: { noTmpfile: flag === 'notmpfile' } });
process.stdout.write('ready\n');
const from = Number(fromText);
const count = Number(countText);
let n = 0;
for (let i = from; i < from + count; i++) {
  const data = content(i, 65 + ((i * 7919) % 20000));
  if (mode === 'store') repo.storeObjectFromBytes(data);
  else repo.ensureObject(data);
  n++;
}
repo.close();
process.stdout.write(`done ${n}\n`);
