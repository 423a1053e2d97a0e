import { Generation } from './generation';

describe('Generation', () => {
  it('keeps every token current until next(), and none taken before it after', () => {
    const generation = new Generation();
    const a = generation.token();
    const b = generation.token();
    expect(generation.isCurrent(a)).toBe(true);
    expect(generation.isCurrent(b)).toBe(true);
    generation.next();
    expect(generation.isCurrent(a)).toBe(false);
    expect(generation.isCurrent(b)).toBe(false);
    const c = generation.token();
    expect(generation.isCurrent(c)).toBe(true);
    generation.next();
    generation.next();
    expect(generation.isCurrent(c)).toBe(false);
  });
});
