import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  input,
  output,
  viewChild,
} from '@angular/core';

/** The switches of the panel, as SettingsStore holds them. */
export interface SettingsView {
  readReceipts: boolean;
  typingIndicators: boolean;
  notifications: boolean;
  /** The browser refuses this site's notifications (its permission is `denied`). */
  notificationsBlocked: boolean;
  saving: boolean;
  /** Why the last change did not apply, in words. */
  error: string | null;
}

export type SettingName = 'readReceipts' | 'typingIndicators' | 'notifications';

/**
 * The settings, in a modal dialog: read receipts and typing indicators (the server's, the same
 * on every device) and notifications (this browser's). It comes with the chat page's lazy chunk,
 * never with the first screen; `@defer` would add Angular's defer runtime to the first screen.
 */
@Component({
  selector: 'chat-settings-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './settings-panel.html',
  styleUrl: './settings-panel.css',
})
export class SettingsPanel {
  readonly settings = input.required<SettingsView>();
  /** A switch was turned. */
  readonly changed = output<{ setting: SettingName; on: boolean }>();
  /** The dialog was closed (the button, Escape). */
  readonly closed = output<void>();
  private readonly dialog =
    viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  constructor() {
    afterNextRender(() => this.dialog().nativeElement.showModal());
  }

  protected toggle(setting: SettingName, event: Event): void {
    this.changed.emit({
      setting,
      on: (event.target as HTMLInputElement).checked,
    });
  }

  protected close(): void {
    this.dialog().nativeElement.close();
  }
}
