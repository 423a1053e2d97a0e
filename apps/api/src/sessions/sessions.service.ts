import { Injectable } from '@nestjs/common';
import {
  ErrorCode,
  parseDirectoryMode,
  parseSessionId,
  validateUsername,
  type SocketData,
} from '@chat/contracts';
import { RateLimits } from '../rate-limiting/rate-limits';
import { IdGenerator } from '../shared/ids';
import { SessionStore } from './stores/session.store';

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

/** Who a connecting client is: a session resumed, or a new one (stored on connection, by presence). */
@Injectable()
export class SessionsService {
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
}
