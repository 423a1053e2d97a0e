import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  afterNextRender,
  afterRenderEffect,
  inject,
  input,
  output,
  viewChild,
} from '@angular/core';
import type { ChatUser } from '../../conversations/conversation.models';
import type { DirectoryView } from '../directory.models';
import { fitsWithoutScrolling, isNearBottom } from '../../ui/scroll-position';
import { UserRow } from './user-row';

const IDLE: DirectoryView = {
  searching: false,
  more: false,
  loading: false,
  error: null,
};

/**
 * The list: a search field over our conversations (latest first, each a link to it) and
 * everyone else (by name). More of the directory comes on scrolling to the end, or with the
 * button there.
 */
@Component({
  selector: 'chat-user-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [UserRow],
  templateUrl: './user-list.html',
  styleUrl: './user-list.css',
})
export class UserList {
  /** Our conversations, latest first. */
  readonly chats = input.required<readonly ChatUser[]>();
  /** Everyone else listed (or found), by name. */
  readonly people = input.required<readonly ChatUser[]>();
  readonly selectedUserID = input<string | null>(null);
  readonly directory = input<DirectoryView>(IDLE);
  readonly searchText = input('');
  /** Our own link is up (an empty list then means nobody else is here). */
  readonly connected = input(true);
  /** Who is writing to us: their rows say "typing…" in place of the preview. */
  readonly typingUserIDs = input<ReadonlySet<string>>(new Set());
  /** Conversations whose notifications are muted. */
  readonly mutedUserIDs = input<ReadonlySet<string>>(new Set());
  /** The next page of the listing shown (or the failed one again). */
  readonly loadMore = output<void>();
  readonly searchTextChange = output<string>();

  private readonly scroller =
    viewChild.required<ElementRef<HTMLElement>>('scroller');

  constructor() {
    // Nothing to scroll yet more users exist: no scroll could ever ask, so ask now.
    afterRenderEffect({
      read: () => {
        this.people();
        this.directory();
        if (fitsWithoutScrolling(this.scroller().nativeElement))
          this.autoLoad();
      },
    });
    // Scrolling is observed outside change detection: only reaching the end does anything.
    const destroyRef = inject(DestroyRef);
    afterNextRender(() => {
      const scroller = this.scroller().nativeElement;
      const onScroll = () => {
        if (isNearBottom(scroller)) this.autoLoad();
      };
      scroller.addEventListener('scroll', onScroll, { passive: true });
      destroyRef.onDestroy(() =>
        scroller.removeEventListener('scroll', onScroll),
      );
    });
  }

  protected onSearch(event: Event): void {
    this.searchTextChange.emit((event.target as HTMLInputElement).value);
  }

  /** A failed page is asked for again by the button only, so a failure cannot loop. */
  private autoLoad(): void {
    const { more, loading, error } = this.directory();
    if (more && !loading && !error) this.loadMore.emit();
  }
}
