import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempDir } from '../testing/temp-dir';
import { ensureDirectory } from './ensure-directory';
import { checkSqlitePath } from './sqlite-preflight';

describe('ensureDirectory', () => {
  const dir = new TempDir();
  afterAll(() => dir.remove());

  it('creates missing folders, level by level, and accepts existing ones', () => {
    const nested = join(dir.path, 'a', 'b', 'c');
    ensureDirectory(nested);
    expect(existsSync(nested)).toBe(true);
    ensureDirectory(nested);
  });

  it('fails at once under /proc, where a recursive mkdir never returns', () => {
    expect(() => ensureDirectory('/proc/chat-data/db')).toThrow(/ENOENT/);
  });

  it('fails under a file', () => {
    const file = join(dir.path, 'plain');
    writeFileSync(file, 'x');
    expect(() => ensureDirectory(join(file, 'sub'))).toThrow(/ENOTDIR/);
  });
});

describe('checkSqlitePath', () => {
  const dir = new TempDir();
  afterAll(() => dir.remove());

  it('opens (and creates) a good path, and :memory:', () => {
    const path = join(dir.path, 'new', 'chat.sqlite');
    checkSqlitePath(path);
    expect(existsSync(path)).toBe(true);
    checkSqlitePath(':memory:');
  });

  const folder = () => {
    const path = join(dir.path, 'a-folder');
    mkdirSync(path, { recursive: true });
    return path;
  };
  const notADatabase = () => {
    const path = join(dir.path, 'notes.txt');
    writeFileSync(path, 'x'.repeat(4096));
    return path;
  };
  const underAFile = () => join(notADatabase(), 'chat.sqlite');

  it.each([
    ['a folder', folder, /is a directory/],
    ['a path under /proc', () => '/proc/chat-data/chat.sqlite', /ENOENT/],
    ['a path under a file', underAFile, /ENOTDIR/],
    ['a file that is not a database', notADatabase, /not a database/],
  ])(
    'refuses %s in one line naming SQLITE_PATH, the path and the cause',
    (_label, path, cause) => {
      const at = path();
      let message = '';
      try {
        checkSqlitePath(at);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message.startsWith(`SQLITE_PATH=${at}: `)).toBe(true);
      expect(message).toMatch(cause);
      expect(message).not.toContain('\n');
    },
  );
});
