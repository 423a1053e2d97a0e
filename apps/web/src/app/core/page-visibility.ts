import {
  DOCUMENT,
  DestroyRef,
  Injectable,
  inject,
  signal,
} from '@angular/core';
import { Subject } from 'rxjs';

/**
 * Whether a person can see this tab (the Page Visibility API): a message counts as read only
 * while it is visible, and a notification is wanted only while it is not.
 */
@Injectable({ providedIn: 'root' })
export class PageVisibility {
  private readonly document = inject(DOCUMENT);
  private readonly state = signal(this.isVisible());
  private readonly shown = new Subject<void>();

  readonly visible = this.state.asReadonly();
  /** The tab became visible again. */
  readonly shown$ = this.shown.asObservable();

  constructor() {
    const onChange = () => {
      const visible = this.isVisible();
      if (visible === this.state()) return;
      this.state.set(visible);
      if (visible) this.shown.next();
    };
    this.document.addEventListener('visibilitychange', onChange);
    inject(DestroyRef).onDestroy(() =>
      this.document.removeEventListener('visibilitychange', onChange),
    );
  }

  private isVisible(): boolean {
    return this.document.visibilityState !== 'hidden';
  }
}
