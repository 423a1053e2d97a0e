/**
 * Baseline for the benchmark: the Socket.IO "Private messaging" guide's final single-node server
 * (sessions with sessionID/userID, messages kept in memory), in raw socket.io and nothing else.
 * Deliberately as small as the guide's: no validation, no acks, no persistence.
 *
 * Run: `node dist/bench/reference-server.js` (built by `nx run bench:build`); PORT (0 = a free one,
 * default 3000) and HOST (default 127.0.0.1). Prints `server listening at http://localhost:<port>`
 * like the product, so the same kind of process helper can start it.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';

interface Session {
  userID: string;
  username: string;
  connected: boolean;
}

interface StoredMessage {
  content: string;
  from: string;
  to: string;
}

interface Identity {
  sessionID: string;
  userID: string;
  username: string;
}

const randomId = () => randomBytes(8).toString('hex');

const sessions = new Map<string, Session>();
const messages: StoredMessage[] = [];

const messagesForUser = (userID: string) =>
  messages.filter(({ from, to }) => from === userID || to === userID);

const httpServer = createServer();
const io = new Server(httpServer, { cors: { origin: '*' } });

io.use((socket, next) => {
  const auth = socket.handshake.auth as {
    sessionID?: unknown;
    username?: unknown;
  };
  const identity = socket.data as Identity;
  if (typeof auth.sessionID === 'string') {
    const session = sessions.get(auth.sessionID);
    if (session) {
      identity.sessionID = auth.sessionID;
      identity.userID = session.userID;
      identity.username = session.username;
      return next();
    }
  }
  if (typeof auth.username !== 'string' || !auth.username) {
    return next(new Error('invalid username'));
  }
  identity.sessionID = randomId();
  identity.userID = randomId();
  identity.username = auth.username;
  next();
});

io.on('connection', (socket: Socket) => {
  const { sessionID, userID, username } = socket.data as Identity;
  sessions.set(sessionID, { userID, username, connected: true });
  socket.emit('session', { sessionID, userID, username });
  socket.join(userID);

  const perUser = new Map<string, StoredMessage[]>();
  for (const message of messagesForUser(userID)) {
    const other = message.from === userID ? message.to : message.from;
    const list = perUser.get(other);
    if (list) list.push(message);
    else perUser.set(other, [message]);
  }
  const seen = new Set<string>();
  const users = [];
  for (const session of sessions.values()) {
    if (seen.has(session.userID)) continue;
    seen.add(session.userID);
    users.push({
      userID: session.userID,
      username: session.username,
      connected: session.connected,
      messages: perUser.get(session.userID) ?? [],
    });
  }
  socket.emit('users', users);

  socket.broadcast.emit('user connected', {
    userID,
    username,
    connected: true,
    messages: [],
  });

  socket.on(
    'private message',
    ({ content, to }: { content: string; to: string }) => {
      const message = { content, from: userID, to };
      socket.to(to).to(userID).emit('private message', message);
      messages.push(message);
    },
  );

  socket.on('disconnect', async () => {
    const matchingSockets = await io.in(userID).fetchSockets();
    if (matchingSockets.length === 0) {
      socket.broadcast.emit('user disconnected', userID);
      sessions.set(sessionID, { userID, username, connected: false });
    }
  });
});

const port = Number(process.env['PORT'] ?? 3000);
const host = process.env['HOST'] || '127.0.0.1';
httpServer.listen(port, host, () => {
  const { port: actual } = httpServer.address() as AddressInfo;
  console.log(`server listening at http://localhost:${actual}`);
});

const shutdown = () => {
  io.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
