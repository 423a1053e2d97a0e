import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config';

/**
 * The socket.io server, configured from AppConfig. Later the place for the Redis adapter
 * (`server.adapter(createAdapter(pub, sub))`) and its shutdown.
 */
export class ChatIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: Pick<AppConfig, 'corsOrigins' | 'maxPayloadBytes'>,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const ours: Partial<ServerOptions> = {
      serveClient: false,
      // Frames above this are cut by engine.io before any handler sees them.
      maxHttpBufferSize: this.config.maxPayloadBytes,
      // Only HTTP long-polling is subject to CORS; websocket upgrades are not.
      ...(this.config.corsOrigins.length > 0 && {
        cors: { origin: this.config.corsOrigins },
      }),
    };
    // socket.io itself takes Partial<ServerOptions>; Nest's signature says the whole type.
    return super.createIOServer(port, { ...options, ...ours } as ServerOptions);
  }
}
