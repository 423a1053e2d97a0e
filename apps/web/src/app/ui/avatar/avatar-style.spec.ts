import { AVATAR_COLORS, avatarColor, initials } from './avatar-style';

describe('initials', () => {
  it.each([
    ['dave', 'D'],
    ['Mary Jane Watson', 'MW'],
    ['jean-luc', 'JL'],
    ['  ada   lovelace ', 'AL'],
    ['émile', 'É'],
    ['👍🏽 fan', '👍🏽F'],
    ['', '?'],
    ['---', '?'],
  ])('%j → %j', (name, expected) => {
    expect(initials(name)).toBe(expected);
  });
});

describe('avatarColor', () => {
  it('is one of the palette, the same for the same id every time', () => {
    const color = avatarColor('a1b2c3d4e5f6');
    expect(AVATAR_COLORS).toContain(color);
    expect(avatarColor('a1b2c3d4e5f6')).toBe(color);
  });

  it('spreads ids over the palette', () => {
    const used = new Set(
      Array.from({ length: 200 }, (_, i) => avatarColor(`user-${i}`)),
    );
    expect(used.size).toBe(AVATAR_COLORS.length);
  });

  it('keeps white text readable on every colour (contrast ≥ 4.5:1)', () => {
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5]
        .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
        .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (const color of AVATAR_COLORS)
      expect([color, 1.05 / (luminance(color) + 0.05) >= 4.5]).toEqual([
        color,
        true,
      ]);
  });
});
