import {
  DOCUMENT,
  DestroyRef,
  Injectable,
  inject,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { ConnectionStore } from '../core/connection.store';
import { LOCAL_STORAGE, SafeStorage } from '../core/web-storage';
import { DirectoryStore } from '../directory/directory.store';
import {
  type ReadMarks,
  mergeReadMarks,
  parseReadMarks,
  readMarksKey,
  serializeReadMarks,
  withoutReadMark,
} from './read-marks';

/**
 * How far each conversation was read: per other user, the newest message seen in it. Kept per
 * identity in localStorage and shared by its tabs (a mark moved in one clears the same badges in
 * the others). Marks only move forward. It knows no messages: the conversations say what was read.
 */
@Injectable({ providedIn: 'root' })
export class ReadStateStore {
  private readonly connection = inject(ConnectionStore);
  private readonly local = new SafeStorage(inject(LOCAL_STORAGE));
  private readonly marks = signal<ReadMarks>(new Map());

  /** Per conversation (keyed by the other user's id), the id of the newest message read in it. */
  readonly readMarks = this.marks.asReadonly();

  constructor() {
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.onIdentityEnded());
    // Our marks as stored, merged into those held (another tab may have moved them meanwhile).
    this.connection.sessionStarted$
      .pipe(takeUntilDestroyed())
      .subscribe(({ userID }) =>
        this.marks.set(
          mergeReadMarks(
            this.marks(),
            parseReadMarks(this.local.get(readMarksKey(userID))),
          ),
        ),
      );
    inject(DirectoryStore)
      .forgotten$.pipe(takeUntilDestroyed())
      .subscribe((userID) => this.forget(userID));
    // Marks moved on by another tab of the same identity clear the same badges here.
    const window = inject(DOCUMENT).defaultView;
    const onStorage = (event: StorageEvent) => this.onStorage(event);
    window?.addEventListener('storage', onStorage);
    inject(DestroyRef).onDestroy(() =>
      window?.removeEventListener('storage', onStorage),
    );
  }

  /** The conversation with `userID` was read up to `messageId`: its mark moves there, never back. */
  markRead(userID: string, messageId: string): void {
    const selfID = this.connection.userID();
    if (!selfID) return;
    const mark = this.marks().get(userID);
    if (mark !== undefined && messageId <= mark) return;
    const key = readMarksKey(selfID);
    // Another tab of ours may have read further meanwhile: keep the newer of both.
    const marks = mergeReadMarks(
      new Map(this.marks()).set(userID, messageId),
      parseReadMarks(this.local.get(key)),
    );
    this.marks.set(marks);
    this.local.set(key, serializeReadMarks(marks));
  }

  /** The user was forgotten: their mark goes (the others stay, stored ones too). */
  private forget(userID: string): void {
    const selfID = this.connection.userID();
    if (!selfID) return;
    const key = readMarksKey(selfID);
    const stored = parseReadMarks(this.local.get(key));
    if (!this.marks().has(userID) && !stored.has(userID)) return;
    // As in `markRead`: the marks another tab stored meanwhile stay.
    const marks = withoutReadMark(mergeReadMarks(this.marks(), stored), userID);
    this.marks.set(marks);
    this.local.set(key, serializeReadMarks(marks));
  }

  /** The identity goes: its marks too, from this browser (`userID()` still names it). */
  private onIdentityEnded(): void {
    const selfID = this.connection.userID();
    if (selfID) this.local.remove(readMarksKey(selfID));
    this.marks.set(new Map());
  }

  /** Marks moved on by another tab of the same identity. */
  private onStorage(event: StorageEvent): void {
    const selfID = this.connection.userID();
    // A removal (logout in another tab) leaves this tab's marks alone: it is still signed in.
    if (
      !selfID ||
      event.key !== readMarksKey(selfID) ||
      event.newValue === null
    )
      return;
    this.marks.set(
      mergeReadMarks(this.marks(), parseReadMarks(event.newValue)),
    );
  }
}
