import { ErrorCode } from './ack';
import {
  FETCH_MESSAGES_MAX,
  MESSAGE_MAX_LENGTH,
  parseSessionId,
  validateFetchMessages,
  validatePrivateMessage,
  validateUsername,
} from './schemas';

describe('validateUsername', () => {
  it('trims and accepts 1 to 32 characters', () => {
    expect(validateUsername('  alice ')).toEqual({ ok: true, value: 'alice' });
    expect(validateUsername('a'.repeat(32))).toEqual({
      ok: true,
      value: 'a'.repeat(32),
    });
    expect(validateUsername('Zoë 🚀')).toEqual({ ok: true, value: 'Zoë 🚀' });
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['too long', 'a'.repeat(33)],
    ['control characters', 'al\u0000ice'],
    ['a newline', 'al\nice'],
    ['a number', 42],
    ['an object', { username: 'alice' }],
    ['null', null],
    ['undefined', undefined],
  ])('refuses %s with a reason', (_label, input) => {
    const result = validateUsername(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^username /);
  });
});

describe('parseSessionId', () => {
  it('accepts url-safe ids and rejects anything else', () => {
    expect(parseSessionId('AbC-_09')).toBe('AbC-_09');
    expect(parseSessionId('')).toBeUndefined();
    expect(parseSessionId('has space')).toBeUndefined();
    expect(parseSessionId('x'.repeat(129))).toBeUndefined();
    expect(parseSessionId(123)).toBeUndefined();
    expect(parseSessionId({})).toBeUndefined();
  });
});

describe('validatePrivateMessage', () => {
  it('keeps content and to, and drops a forged from', () => {
    expect(
      validatePrivateMessage({ content: 'hi', to: 'u1', from: 'someone-else' }),
    ).toEqual({
      ok: true,
      value: { content: 'hi', to: 'u1' },
    });
  });

  it.each([
    ['no payload', undefined],
    ['a string', 'hello'],
    ['missing to', { content: 'hi' }],
    ['missing content', { to: 'u1' }],
    ['blank content', { content: '  \n ', to: 'u1' }],
    ['numeric content', { content: 1, to: 'u1' }],
    ['object recipient', { content: 'hi', to: { $ne: '' } }],
    ['array', ['hi', 'u1']],
  ])('refuses %s as invalid payload', (_label, input) => {
    expect(validatePrivateMessage(input)).toEqual({
      ok: false,
      error: ErrorCode.InvalidPayload,
    });
  });

  it('tells an oversized content apart as too large', () => {
    expect(
      validatePrivateMessage({
        content: 'x'.repeat(MESSAGE_MAX_LENGTH),
        to: 'u1',
      }).ok,
    ).toBe(true);
    expect(
      validatePrivateMessage({
        content: 'x'.repeat(MESSAGE_MAX_LENGTH + 1),
        to: 'u1',
      }),
    ).toEqual({
      ok: false,
      error: ErrorCode.TooLarge,
    });
  });
});

describe('validateFetchMessages', () => {
  it('accepts a conversation, a cursor and an optional page size', () => {
    expect(
      validateFetchMessages({ userID: 'u1', before: '01J', limit: 20 }),
    ).toEqual({
      ok: true,
      value: { userID: 'u1', before: '01J', limit: 20 },
    });
    expect(
      validateFetchMessages({ userID: 'u1', before: '01J', extra: true }),
    ).toEqual({
      ok: true,
      value: { userID: 'u1', before: '01J' },
    });
  });

  it.each([
    ['no payload', undefined],
    ['missing cursor', { userID: 'u1' }],
    ['missing user', { before: '01J' }],
    ['zero limit', { userID: 'u1', before: '01J', limit: 0 }],
    ['fractional limit', { userID: 'u1', before: '01J', limit: 1.5 }],
    [
      'huge limit',
      { userID: 'u1', before: '01J', limit: FETCH_MESSAGES_MAX + 1 },
    ],
    ['string limit', { userID: 'u1', before: '01J', limit: '10' }],
  ])('refuses %s as invalid payload', (_label, input) => {
    expect(validateFetchMessages(input)).toEqual({
      ok: false,
      error: 'invalid payload',
    });
  });
});
