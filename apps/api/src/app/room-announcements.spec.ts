import { RoomAnnouncements, type AnnouncePort } from './room-announcements';

// The protocol's own logic on a fake port (Redis's side is in socket.io-redis-adapter.spec.ts).
describe('RoomAnnouncements', () => {
  it('sends a hello again until Redis takes it, then goes by its answer', async () => {
    const sent: string[] = [];
    let failures = 2;
    const port: AnnouncePort = {
      uid: 'me',
      channelOf: (room) => (room === undefined ? 'ns' : `ch:${room}`),
      spublish: (_channel, payload) => {
        sent.push(payload);
        return failures-- > 0
          ? Promise.reject(new Error('connection is closed'))
          : Promise.resolve(1);
      },
    };
    const late: string[] = [];
    const announcements = new RoomAnnouncements(port, {
      waitMs: 5000,
      acknowledgedLate: (room) => late.push(room),
    });
    expect(announcements.created('r')).toBe(true);
    const started = Date.now();
    const done = announcements.announce(['r']);
    await new Promise((resolve) => {
      const poll = () =>
        sent.length === 3 ? resolve(undefined) : setTimeout(poll, 20);
      poll();
    });
    // Taken at the third try, reaching this node alone: its own copy back ends the wait.
    announcements.heardOwnHello(Buffer.from(sent[2]), Buffer.from('ch:r'));
    await done;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(new Set(sent).size).toBe(1);
    expect(late).toEqual([]);
  });
});
