import { Logger } from '@nestjs/common';
import { createPino, PinoLogger } from './pino-logger';

/** A pino destination that keeps each written line. */
function lines() {
  const written: string[] = [];
  return {
    written,
    stream: { write: (line: string) => void written.push(line) },
    records: () =>
      written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('PinoLogger', () => {
  it('writes one JSON line per record, with level, time, context and message', () => {
    const out = lines();
    const logger = new PinoLogger(createPino('info', out.stream));
    logger.log('server started', 'Main');
    logger.warn('careful');
    logger.debug('not at info');
    expect(out.written.every((line) => line.endsWith('\n'))).toBe(true);
    expect(out.written.join('').trim().split('\n')).toHaveLength(2);
    const [started, careful] = out.records();
    expect(started).toMatchObject({
      level: 'info',
      context: 'Main',
      msg: 'server started',
    });
    expect(typeof started['time']).toBe('string');
    expect(careful).toMatchObject({ level: 'warn', msg: 'careful' });
  });

  it('keeps a multi-line error on one line, its stack a field', () => {
    const out = lines();
    const logger = new PinoLogger(createPino('info', out.stream));
    const error = new Error('disk on fire');
    logger.error('store failed:\n  at somewhere', error.stack, 'Messaging');
    logger.error(error);
    expect(out.written).toHaveLength(2);
    const [first, second] = out.records();
    expect(first).toMatchObject({
      level: 'error',
      context: 'Messaging',
      msg: 'store failed:\n  at somewhere',
    });
    expect(String(first['stack'])).toContain('disk on fire');
    expect(second).toMatchObject({ msg: 'disk on fire' });
  });

  it('never writes a sessionID, an auth or a message content, wherever they are in an object', () => {
    const out = lines();
    const logger = new PinoLogger(createPino('info', out.stream));
    logger.log({ sessionID: 'secret-1', auth: { sessionID: 'secret-2' } }, 'X');
    logger.warn({ message: { content: 'private words', to: 'u1' } });
    const text = out.written.join('');
    expect(text).not.toMatch(/secret-1|secret-2|private words/);
    expect(out.records()[1]).toMatchObject({
      message: { to: 'u1', content: '[redacted]' },
    });
  });

  it("serves Nest's Logger once it is the app logger", () => {
    const out = lines();
    Logger.overrideLogger(new PinoLogger(createPino('info', out.stream)));
    try {
      new Logger('Ctx').log('through Nest');
    } finally {
      Logger.overrideLogger(false);
    }
    expect(out.records()[0]).toMatchObject({
      context: 'Ctx',
      msg: 'through Nest',
    });
  });
});
