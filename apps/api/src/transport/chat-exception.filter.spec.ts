import { Logger, type ArgumentsHost } from '@nestjs/common';
import { ErrorCode } from '@chat/contracts';
import { ChatExceptionFilter } from './chat-exception.filter';

describe('ChatExceptionFilter', () => {
  beforeAll(() => Logger.overrideLogger(false));

  // Only the two ArgumentsHost methods the filter reads.
  const host = (args: unknown[]) =>
    ({
      switchToWs: () => ({ getPattern: () => 'private message' }),
      getArgs: () => args,
    }) as unknown as ArgumentsHost;

  it('answers an ack with "unavailable" and emits nothing to the socket', () => {
    const emitted: unknown[] = [];
    const socket = { emit: (...args: unknown[]) => emitted.push(args) };
    const acks: unknown[] = [];
    new ChatExceptionFilter().catch(
      new Error('secret internals'),
      host([socket, {}, (r: unknown) => acks.push(r)]),
    );
    expect(acks).toEqual([{ ok: false, error: ErrorCode.Unavailable }]);
    expect(emitted).toEqual([]);
  });

  it('does nothing visible without an ack, and survives an ack that throws', () => {
    const filter = new ChatExceptionFilter();
    expect(() =>
      filter.catch(new Error('x'), host([{}, 'payload'])),
    ).not.toThrow();
    expect(() =>
      filter.catch(
        'not even an Error',
        host([
          {},
          {},
          () => {
            throw new Error('client gone');
          },
        ]),
      ),
    ).not.toThrow();
  });
});
