import { addressBlock, clientAddress } from './client-address';

describe('clientAddress', () => {
  it("is the peer's address unless the proxy is trusted", () => {
    expect(clientAddress('203.0.113.7', undefined, false)).toBe('203.0.113.7');
    expect(clientAddress('203.0.113.7', '198.51.100.1', false)).toBe(
      '203.0.113.7',
    );
  });

  it('behind a trusted proxy, is the last X-Forwarded-For entry: the one the proxy added', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1', true)).toBe(
      '198.51.100.1',
    );
    // The client wrote the first entries itself.
    expect(
      clientAddress('10.0.0.2', 'forged, 192.0.2.1 ,198.51.100.1', true),
    ).toBe('198.51.100.1');
    expect(
      clientAddress('10.0.0.2', ['forged', '198.51.100.1, 198.51.100.9'], true),
    ).toBe('198.51.100.9');
    // No usable entry: the peer.
    expect(clientAddress('10.0.0.2', ' , ', true)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', undefined, true)).toBe('10.0.0.2');
  });
});

describe('addressBlock', () => {
  it('keeps IPv4 addresses, also written IPv4-mapped', () => {
    expect(addressBlock('127.0.0.1')).toBe('127.0.0.1');
    expect(addressBlock('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(addressBlock('::FFFF:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv6 address as its /64, however it is written', () => {
    const block = '2001:db8:0:1::/64';
    for (const address of [
      '2001:db8:0:1::1',
      '2001:0db8:0000:0001:ffff:ffff:ffff:ffff',
      '2001:DB8:0:1:0:0:0:2',
      '2001:db8:0:1::192.0.2.1',
      '2001:db8:0:1::7%eth0',
    ])
      expect(addressBlock(address)).toBe(block);
    expect(addressBlock('2001:db8:0:2::1')).toBe('2001:db8:0:2::/64');
    expect(addressBlock('::1')).toBe('0:0:0:0::/64');
    expect(addressBlock('fe80::1')).toBe('fe80:0:0:0::/64');
  });

  it('leaves anything else as it is', () => {
    expect(addressBlock('unknown')).toBe('unknown');
    expect(addressBlock('')).toBe('');
  });
});
