import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the OS temp dir, for SQLite files; `remove()` deletes it and its files. */
export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'chat-api-'));
  private n = 0;

  /** A new file name in the folder (not created). */
  file(name = 'chat'): string {
    this.n += 1;
    return join(this.path, `${name}-${this.n}.sqlite`);
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
