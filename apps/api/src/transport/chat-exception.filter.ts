import {
  ArgumentsHost,
  Catch,
  Logger,
  type WsExceptionFilter,
} from '@nestjs/common';
import { ErrorCode, type PrivateMessageAck } from '@chat/contracts';
import { describeError } from '../shared/describe-error';

/**
 * Backstop for anything a handler throws. Nest's default filter emits an `exception` event that
 * echoes the payload back; ours logs server-side and, if the client asked for an ack, answers
 * `unavailable`: no internals and no extra events reach clients.
 */
@Catch()
export class ChatExceptionFilter implements WsExceptionFilter {
  private readonly logger = new Logger(ChatExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    this.handle(host.switchToWs().getPattern(), exception, host.getArgs());
  }

  /**
   * The same for a handler Nest does not call (the gateway's hand-bound `private message`):
   * `args` are the handler's arguments as Nest passes them to ws handlers (socket, payload, ack?).
   */
  handle(pattern: string, exception: unknown, args: readonly unknown[]): void {
    this.logger.error(
      `handler for "${pattern}" failed: ${describeError(exception)}`,
    );
    const ack: unknown = args.find((arg) => typeof arg === 'function');
    if (typeof ack === 'function') {
      const response: PrivateMessageAck = {
        ok: false,
        error: ErrorCode.Unavailable,
      };
      try {
        ack(response);
      } catch (error) {
        this.logger.error(`ack failed: ${describeError(error)}`);
      }
    }
  }
}
