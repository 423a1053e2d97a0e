import {
  ChangeDetectionStrategy,
  Component,
  computed,
  input,
  linkedSignal,
  output,
  signal,
} from '@angular/core';
import { USERNAME_MAX_LENGTH, validateUsername } from '@chat/contracts';

/** The username form: checks the name as the server will and says why a name is refused. */
@Component({
  selector: 'chat-select-username',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './select-username.html',
  styleUrl: './select-username.css',
})
export class SelectUsername {
  /** Why the server refused the last name, if it did. */
  readonly error = input<string | null>(null);
  /** A valid, trimmed username. */
  readonly submitted = output<string>();

  protected readonly maxLength = USERNAME_MAX_LENGTH;
  protected readonly username = signal('');
  private readonly attempted = signal(false);
  // Shown until the user edits the name again.
  private readonly serverError = linkedSignal(() => this.error());

  private readonly validation = computed(() =>
    validateUsername(this.username()),
  );
  protected readonly reason = computed(() => {
    const validation = this.validation();
    // An empty, untouched field is not an error yet; anything typed is checked as it is typed.
    const checked = this.attempted() || this.username() !== '';
    if (!validation.ok && checked) return validation.error;
    return this.serverError();
  });

  protected onInput(event: Event): void {
    this.username.set((event.target as HTMLInputElement).value);
    this.serverError.set(null);
  }

  protected onSubmit(event: Event): void {
    // No FormsModule: keep the browser from submitting the page.
    event.preventDefault();
    this.attempted.set(true);
    const validation = this.validation();
    if (validation.ok) this.submitted.emit(validation.value);
  }
}
