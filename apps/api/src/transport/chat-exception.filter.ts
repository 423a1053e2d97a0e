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
    const pattern = host.switchToWs().getPattern();
    this.logger.error(
      `handler for "${pattern}" failed: ${describeError(exception)}`,
    );
    // ws handler arguments are (socket, payload, ack?)
    const ack: unknown = host
      .getArgs()
      .find((arg: unknown) => typeof arg === 'function');
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
