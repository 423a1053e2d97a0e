import { Injectable, Logger } from '@nestjs/common';
import {
  ChatEvent,
  DEFAULT_SETTINGS,
  ErrorCode,
  parseDirectoryMode,
  parseSessionId,
  validateSettings,
  validateUsername,
  type Settings,
  type SettingsAck,
  type SocketData,
} from '@chat/contracts';
import { RateLimits } from '../rate-limiting/rate-limits';
import type { Delivery } from '../shared/broadcaster';
import { describeError } from '../shared/describe-error';
import { IdGenerator } from '../shared/ids';
import { SessionStore } from './stores/session.store';

/** The answer to a `settings`, and what to send to whom once it is given. */
export interface SettingsChange {
  ack: SettingsAck;
  deliveries: readonly Delivery[];
}

export type HandshakeResult =
  | { ok: true; data: SocketData; resumed: boolean }
  /** `error`: the `connect_error` message, when it is not the guide's `invalid username`. */
  | { ok: false; reason: string; error?: ErrorCode };

/** The `connect_error` reason of a sessionID that resumes nothing, sent without a username. */
export const UNKNOWN_SESSION =
  'unknown or expired session: send a username to start a new one';
/** The `connect_error` reason of a handshake over the new-session limit. */
export const TOO_MANY_NEW_SESSIONS =
  'too many new sessions from this address, try again in a minute';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Who a connecting client is: a session resumed, or a new one (stored on connection, by presence);
 * and the user's privacy settings, stored with their session.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger('Sessions');

  constructor(
    private readonly sessions: SessionStore,
    private readonly ids: IdGenerator,
    private readonly limits: RateLimits,
  ) {}

  /**
   * Decides the identity of a connecting socket from its handshake `auth`, which may be anything,
   * and its client `address` (whose budget of new sessions a new user spends). Writes nothing else:
   * a refused handshake leaves no trace, and an accepted one is stored on connection. Rejects only
   * if the session store fails (a rate limit that cannot be read refuses with `unavailable`).
   */
  async authenticate(auth: unknown, address: string): Promise<HandshakeResult> {
    const fields = isRecord(auth) ? auth : {};
    const directory = parseDirectoryMode(fields['directory']);
    const sessionID = parseSessionId(fields['sessionID']);
    if (sessionID !== undefined) {
      const session = await this.sessions.findSession(sessionID);
      if (session) {
        const { userID, username } = session;
        return {
          ok: true,
          resumed: true,
          data: { sessionID, userID, username, directory },
        };
      }
    }
    // No usable session: an unknown or expired sessionID with a valid username starts afresh.
    const username = validateUsername(fields['username']);
    if (!username.ok)
      return {
        ok: false,
        // A sessionID alone that resumes nothing: say so, not that a username is missing.
        reason:
          fields['sessionID'] !== undefined && fields['username'] === undefined
            ? UNKNOWN_SESSION
            : username.error,
      };
    // A new user each time: bounded per address, or one client could fill the directory.
    const refused = await this.limits.newSession(address);
    if (refused)
      return {
        ok: false,
        error: refused,
        reason:
          refused === ErrorCode.RateLimited
            ? TOO_MANY_NEW_SESSIONS
            : 'store unavailable',
      };
    return {
      ok: true,
      resumed: false,
      data: {
        sessionID: this.ids.sessionID(),
        userID: this.ids.userID(),
        username: username.value,
        directory,
      },
    };
  }

  /** The user's settings, the defaults if they have no session (yet). Rejects if the store fails. */
  async settingsOf(userID: string): Promise<Settings> {
    const found = await this.sessions.findSettings([userID]);
    return found.get(userID) ?? { ...DEFAULT_SETTINGS };
  }

  /**
   * A `settings` of `userID`: the settings given change, stored with the session; the answer has
   * all of them. A change goes to every tab of the user, the changing one included, on every node.
   * Rate limited with receipts. Never rejects.
   */
  async updateSettings(
    userID: string,
    payload: unknown,
  ): Promise<SettingsChange> {
    const refused = (error: ErrorCode): SettingsChange => ({
      ack: { ok: false, error },
      deliveries: [],
    });
    const limited = await this.limits.receipt(userID);
    if (limited) return refused(limited);
    const input = validateSettings(payload);
    if (!input.ok) return refused(input.error);
    try {
      const settings = await this.sessions.updateSettings(userID, input.value);
      // Connected, so alive; only a store that lost the session says this.
      if (!settings) return refused(ErrorCode.Unavailable);
      // Told to every tab whenever one was set (the same value again is harmless); `{}` only reads.
      const changed = Object.keys(input.value).length > 0;
      return {
        ack: { ok: true, settings },
        deliveries: changed
          ? [
              {
                rooms: [userID],
                includeSender: true,
                event: ChatEvent.Settings,
                payload: settings,
              },
            ]
          : [],
      };
    } catch (error) {
      this.logger.error(
        `changing the settings of ${userID} failed: ${describeError(error)}`,
      );
      return refused(ErrorCode.Unavailable);
    }
  }
}
