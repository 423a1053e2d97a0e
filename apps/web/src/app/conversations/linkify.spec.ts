import { linkify } from './linkify';

describe('linkify', () => {
  const links = (content: string) =>
    linkify(content)
      .filter((s) => s.href)
      .map((s) => [s.text, s.href]);

  it('leaves text without links as one text segment', () => {
    expect(linkify('hello there')).toEqual([{ text: 'hello there' }]);
    expect(linkify('')).toEqual([{ text: '' }]);
  });

  it('cuts http and https URLs out of the text, keeping every character', () => {
    const content = 'see https://example.org/a?b=1#c and http://x.io now';
    const segments = linkify(content);
    expect(segments).toEqual([
      { text: 'see ' },
      {
        text: 'https://example.org/a?b=1#c',
        href: 'https://example.org/a?b=1#c',
      },
      { text: ' and ' },
      { text: 'http://x.io', href: 'http://x.io/' },
      { text: ' now' },
    ]);
    expect(segments.map((s) => s.text).join('')).toBe(content);
  });

  it('never links anything but http(s)', () => {
    for (const content of [
      'javascript:alert(1)',
      'click javascript://example.org/%0Aalert(1)',
      'data:text/html,<script>alert(1)</script>',
      'ftp://example.org/file',
      'mailto:someone@example.org',
      'www.example.org',
      'xhttps://example.org',
      'https://',
      'http:///nohost',
    ])
      expect([content, links(content)]).toEqual([content, []]);
  });

  it('keeps markup as text', () => {
    expect(linkify('<b>bold</b> <a href="https://evil.example">x</a>')).toEqual(
      [
        { text: '<b>bold</b> <a href="' },
        { text: 'https://evil.example', href: 'https://evil.example/' },
        { text: '">x</a>' },
      ],
    );
  });

  it('leaves trailing punctuation out of the link', () => {
    expect(links('Look: https://example.org/page.')).toEqual([
      ['https://example.org/page', 'https://example.org/page'],
    ]);
    expect(links('https://example.org/a, https://example.org/b!?')).toEqual([
      ['https://example.org/a', 'https://example.org/a'],
      ['https://example.org/b', 'https://example.org/b'],
    ]);
    expect(links('"https://example.org/q"')).toEqual([
      ['https://example.org/q', 'https://example.org/q'],
    ]);
  });

  it('keeps brackets the link opened, drops one it did not', () => {
    expect(links('(see https://example.org/a)')).toEqual([
      ['https://example.org/a', 'https://example.org/a'],
    ]);
    expect(links('https://en.wikipedia.org/wiki/Set_(mathematics)')).toEqual([
      [
        'https://en.wikipedia.org/wiki/Set_(mathematics)',
        'https://en.wikipedia.org/wiki/Set_(mathematics)',
      ],
    ]);
    expect(links('[https://example.org/x]')).toEqual([
      ['https://example.org/x', 'https://example.org/x'],
    ]);
  });

  it('finds links at the start, at the end and across lines', () => {
    expect(links('https://a.example\nhttps://b.example/x')).toEqual([
      ['https://a.example', 'https://a.example/'],
      ['https://b.example/x', 'https://b.example/x'],
    ]);
  });

  it('links to the parsed URL: spaces and quotes cannot reach the attribute', () => {
    expect(links('https://example.org/ä?q=a|b')).toEqual([
      ['https://example.org/ä?q=a|b', 'https://example.org/%C3%A4?q=a|b'],
    ]);
  });
});
