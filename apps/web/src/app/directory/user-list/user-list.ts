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
import type { DirectoryView, UserListItem } from '../directory.models';
import { fitsWithoutScrolling, isNearBottom } from '../../ui/scroll-position';
import { StatusIcon } from '../../ui/status-icon/status-icon';

const IDLE: DirectoryView = {
  searching: false,
  more: false,
  loading: false,
  error: null,
};

/**
 * The left pane: a search field over the users, self first (the store sorts), with presence and
 * unread markers. More of the directory comes on scrolling to the end, or with the button there.
 */
@Component({
  selector: 'chat-user-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [StatusIcon],
  templateUrl: './user-list.html',
  styleUrl: './user-list.css',
})
export class UserList {
  readonly users = input.required<readonly UserListItem[]>();
  readonly selectedUserID = input<string | null>(null);
  readonly directory = input<DirectoryView>(IDLE);
  readonly searchText = input('');
  readonly selectUser = output<string>();
  /** The next page of the listing shown (or the failed one again). */
  readonly loadMore = output<void>();
  readonly searchTextChange = output<string>();

  private readonly scroller =
    viewChild.required<ElementRef<HTMLElement>>('scroller');

  constructor() {
    // Nothing to scroll yet more users exist: no scroll could ever ask, so ask now.
    afterRenderEffect({
      read: () => {
        this.users();
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
