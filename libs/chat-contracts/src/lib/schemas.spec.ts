import { ErrorCode } from './ack';
import {
  DEFAULT_SETTINGS,
  FETCH_MESSAGES_MAX,
  FETCH_USERS_MAX,
  MESSAGE_MAX_LENGTH,
  parseDirectoryMode,
  parseSessionId,
  parseUserId,
  validateFetchMessages,
  validateFetchUsers,
  validatePrivateMessage,
  validateReceipt,
  validateSettings,
  validateTyping,
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

describe('validateUsername: names that would not show as what they are', () => {
  it('normalises to NFKC and makes runs of spaces one', () => {
    expect(validateUsername('ａｄｍｉｎ')).toEqual({
      ok: true,
      value: 'admin',
    });
    expect(validateUsername('Zoe\u0308')).toEqual({ ok: true, value: 'Zoë' });
    expect(validateUsername('ann\u3000 \u00A0lee')).toEqual({
      ok: true,
      value: 'ann lee',
    });
  });

  it.each([
    ['a right-to-left override', 'ad\u202Enim', 'bidirectional', 'U+202E'],
    ['a left-to-right mark', '\u200Eadmin', 'bidirectional', 'U+200E'],
    ['an Arabic letter mark', 'admin\u061C', 'bidirectional', 'U+061C'],
    ['a first-strong isolate', 'ad\u2068min', 'bidirectional', 'U+2068'],
    ['a zero-width space', 'ad\u200Bmin', 'invisible', 'U+200B'],
    ['a zero-width non-joiner', 'ad\u200Cmin', 'invisible', 'U+200C'],
    ['a joiner between letters', 'ad\u200Dmin', 'invisible', 'U+200D'],
    ['a word joiner', 'ad\u2060min', 'invisible', 'U+2060'],
    ['a soft hyphen', 'ad\u00ADmin', 'invisible', 'U+00AD'],
    ['a byte order mark', 'ad\uFEFFmin', 'invisible', 'U+FEFF'],
    ['a tag character', 'admin\u{E0041}', 'invisible', 'U+E0041'],
    ['a combining grapheme joiner', 'ad\u034Fmin', 'invisible', 'U+034F'],
    // NFKC makes both the filler U+1160.
    ['a Hangul filler', '\u3164', 'invisible', 'U+1160'],
    ['a half-width Hangul filler', 'a\uFFA0', 'invisible', 'U+1160'],
    ['a Hangul choseong filler', '\u115Fa', 'invisible', 'U+115F'],
    ['a Braille blank', '\u2800\u2800', 'invisible', 'U+2800'],
    ['a line separator', 'ad\u2028min', 'line breaks', 'U+2028'],
  ])('refuses %s, naming it', (_label, input, kind, code) => {
    const result = validateUsername(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain(kind);
      expect(result.error).toContain(code);
    }
  });

  it('refuses a lone surrogate', () => {
    expect(validateUsername('ad\uD800min')).toEqual({
      ok: false,
      error: 'username must be well-formed Unicode (no lone surrogates)',
    });
  });

  it('keeps the joiner of an emoji sequence', () => {
    expect(validateUsername('dev 👩‍💻')).toEqual({ ok: true, value: 'dev 👩‍💻' });
    expect(validateUsername('👩🏽‍💻 ❤️')).toEqual({ ok: true, value: '👩🏽‍💻 ❤️' });
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

describe('validatePrivateMessage: well-formed content', () => {
  it('refuses content with a lone surrogate as an invalid payload', () => {
    for (const content of ['\uD83D', 'broken \uDE00 pair', 'x\uDBFF']) {
      expect(validatePrivateMessage({ content, to: 'u1' })).toEqual({
        ok: false,
        error: ErrorCode.InvalidPayload,
      });
    }
  });

  it('refuses content with a NUL as an invalid payload (other control characters are text)', () => {
    for (const content of ['\u0000', 'a\u0000b', 'tail\u0000']) {
      expect(validatePrivateMessage({ content, to: 'u1' })).toEqual({
        ok: false,
        error: ErrorCode.InvalidPayload,
      });
    }
    expect(
      validatePrivateMessage({ content: 'a\tb\nc\u0001', to: 'u1' }).ok,
    ).toBe(true);
  });

  it('accepts surrogate pairs (emoji, rare scripts)', () => {
    expect(validatePrivateMessage({ content: '😀 𝄞 𠀋', to: 'u1' }).ok).toBe(
      true,
    );
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

  it('keeps a clientMessageId of up to 64 url-safe characters', () => {
    const clientMessageId = `Ab9_-${'x'.repeat(59)}`;
    expect(
      validatePrivateMessage({ content: 'hi', to: 'u1', clientMessageId }),
    ).toEqual({
      ok: true,
      value: { content: 'hi', to: 'u1', clientMessageId },
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
    [
      'an empty clientMessageId',
      { content: 'hi', to: 'u1', clientMessageId: '' },
    ],
    [
      'a numeric clientMessageId',
      { content: 'hi', to: 'u1', clientMessageId: 7 },
    ],
    [
      'a clientMessageId with other characters',
      { content: 'hi', to: 'u1', clientMessageId: 'a b' },
    ],
    [
      'a clientMessageId of 65 characters',
      { content: 'hi', to: 'u1', clientMessageId: 'x'.repeat(65) },
    ],
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

describe('validateFetchUsers', () => {
  it('accepts a page: optional query (trimmed), cursor and size', () => {
    expect(validateFetchUsers({})).toEqual({ ok: true, value: {} });
    expect(
      validateFetchUsers({ query: ' Al ', after: 'al\u0000u1', limit: 10 }),
    ).toEqual({
      ok: true,
      value: { query: 'Al', after: 'al\u0000u1', limit: 10 },
    });
    expect(validateFetchUsers({ query: '   ', other: 1 })).toEqual({
      ok: true,
      value: {},
    });
  });

  it('accepts users asked for by id', () => {
    expect(validateFetchUsers({ userIDs: ['u1', 'u2'], limit: 3 })).toEqual({
      ok: true,
      value: { userIDs: ['u1', 'u2'] },
    });
  });

  it.each([
    ['no payload', undefined],
    ['an array', []],
    ['a numeric query', { query: 1 }],
    ['a query with control characters', { query: 'a\nb' }],
    ['a query longer than a username', { query: 'a'.repeat(33) }],
    ['a huge cursor', { after: 'a'.repeat(257) }],
    ['zero limit', { limit: 0 }],
    ['huge limit', { limit: FETCH_USERS_MAX + 1 }],
    ['no ids', { userIDs: [] }],
    [
      'too many ids',
      { userIDs: Array.from({ length: 101 }, (_, i) => `u${i}`) },
    ],
    ['a malformed id', { userIDs: ['not an id'] }],
    ['ids not in an array', { userIDs: 'u1' }],
  ])('refuses %s as invalid payload', (_label, input) => {
    expect(validateFetchUsers(input)).toEqual({
      ok: false,
      error: 'invalid payload',
    });
  });
});

describe('parseDirectoryMode', () => {
  it('opts in only on exactly "paged"', () => {
    expect(parseDirectoryMode('paged')).toBe('paged');
    for (const other of [undefined, 'PAGED', 'guide', 1, {}, null])
      expect(parseDirectoryMode(other)).toBe('guide');
  });
});

describe('parseUserId', () => {
  it('accepts the ids the server hands out and nothing else (a link may hold anything)', () => {
    expect(parseUserId('Zq3_k-9aB0cD1eF2gH3iJ4')).toBe(
      'Zq3_k-9aB0cD1eF2gH3iJ4',
    );
    expect(parseUserId('')).toBeUndefined();
    expect(parseUserId('../etc')).toBeUndefined();
    expect(parseUserId('<script>')).toBeUndefined();
    expect(parseUserId(undefined)).toBeUndefined();
  });
});

describe('validateReceipt', () => {
  const id = '01JZ0000000000000000000001';

  it('accepts delivered, read or both, dropping unknown keys', () => {
    expect(validateReceipt({ userID: 'bob', delivered: id })).toEqual({
      ok: true,
      value: { userID: 'bob', delivered: id },
    });
    expect(validateReceipt({ userID: 'bob', read: id, extra: 1 })).toEqual({
      ok: true,
      value: { userID: 'bob', read: id },
    });
    expect(validateReceipt({ userID: 'bob', delivered: id, read: id })).toEqual(
      { ok: true, value: { userID: 'bob', delivered: id, read: id } },
    );
  });

  it.each([
    ['neither marker', { userID: 'bob' }],
    ['no userID', { read: id }],
    ['a userID that is no id', { userID: 'b:ob', read: id }],
    ['an id that is a number', { userID: 'bob', read: 7 }],
    ['an empty id', { userID: 'bob', delivered: '' }],
    ['a huge id', { userID: 'bob', read: 'x'.repeat(200) }],
    ['null', null],
    ['a string', 'bob'],
  ])('refuses %s', (_label, input) => {
    expect(validateReceipt(input)).toEqual({
      ok: false,
      error: ErrorCode.InvalidPayload,
    });
  });
});

describe('validateTyping', () => {
  it('accepts a recipient and a boolean', () => {
    expect(validateTyping({ to: 'bob', typing: true, from: 'x' })).toEqual({
      ok: true,
      value: { to: 'bob', typing: true },
    });
    expect(validateTyping({ to: 'bob', typing: false })).toEqual({
      ok: true,
      value: { to: 'bob', typing: false },
    });
  });

  it.each([
    ['no recipient', { typing: true }],
    ['a typing that is no boolean', { to: 'bob', typing: 'yes' }],
    ['no typing', { to: 'bob' }],
    ['undefined', undefined],
  ])('refuses %s', (_label, input) => {
    expect(validateTyping(input).ok).toBe(false);
  });
});

describe('validateSettings', () => {
  it('keeps the booleans given, none meaning "as they are"', () => {
    expect(validateSettings({ readReceipts: false })).toEqual({
      ok: true,
      value: { readReceipts: false },
    });
    expect(validateSettings({ typing: true, readReceipts: true })).toEqual({
      ok: true,
      value: { readReceipts: true, typing: true },
    });
    expect(validateSettings({ theme: 'dark' })).toEqual({
      ok: true,
      value: {},
    });
    expect(DEFAULT_SETTINGS).toEqual({ readReceipts: true, typing: true });
  });

  it.each([
    ['a string', { readReceipts: 'false' }],
    ['a number', { typing: 0 }],
    ['null', null],
    ['an array', [true]],
  ])('refuses %s', (_label, input) => {
    expect(validateSettings(input)).toEqual({
      ok: false,
      error: ErrorCode.InvalidPayload,
    });
  });
});
