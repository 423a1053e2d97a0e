import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, join } from 'node:path';
import {
  type DynamicModule,
  Inject,
  Module,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import expressStaticGzip from 'express-static-gzip';
import type { AppConfig } from '../config/app-config';

/** A year: what a file whose name changes with its content may be cached for. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** Everything else is asked again every time (a 304 when it did not change). */
export const REVALIDATE_CACHE = 'no-cache';

/**
 * Angular's production build names its scripts, styles and media `name-HASH.ext` (8 characters of
 * `A-Z 0-9`), here possibly followed by the `.br` / `.gz` written beside it at build.
 */
const HASHED_FILE = /-[A-Z0-9]{8}\.[a-z0-9]+(\.br|\.gz)?$/;

/** socket.io answers its own path: never the web app there. */
const SOCKET_IO_PATH = /^\/socket\.io(\/|$)/;

const WEB_APP_OPTIONS = Symbol('WebAppOptions');

interface WebAppOptions {
  rootPath: string;
}

/** What this module reads of Express's request. */
interface Request extends IncomingMessage {
  path: string;
  accepts(type: string): string | false;
}

/** Whether the built web app is there to be served. */
export function hasWebApp(config: AppConfig): boolean {
  return existsSync(join(config.webDist, 'index.html'));
}

/** In production this process also serves the built web app: one process, one port. */
export function webAppModules(config: AppConfig): DynamicModule[] {
  // Without it, createApp warns and the process serves the api only.
  if (config.nodeEnv !== 'production' || !hasWebApp(config)) return [];
  return [WebAppModule.forRoot(config.webDist)];
}

/** The `Cache-Control` of a file served from the web app's folder. */
export function cacheControlFor(path: string): string {
  return HASHED_FILE.test(basename(path)) ? IMMUTABLE_CACHE : REVALIDATE_CACHE;
}

/**
 * Serves the built web app as a production web app is served: the brotli or gzip copy written
 * beside each file at build (tools/precompress-web.mjs) when the browser accepts it, hashed files
 * cached for a year, `index.html` revalidated every time, and `index.html` for the app's own
 * routes (`/chat/…`), so a deep link or a reload opens the app there.
 *
 * Registered when the modules initialise, after Nest's routes: a controller's path (health,
 * metrics) is answered by the controller, whatever this folder holds.
 */
@Module({})
export class WebAppModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(WEB_APP_OPTIONS) private readonly options: WebAppOptions,
  ) {}

  static forRoot(rootPath: string): DynamicModule {
    return {
      module: WebAppModule,
      providers: [{ provide: WEB_APP_OPTIONS, useValue: { rootPath } }],
    };
  }

  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter.getInstance();
    const serve = expressStaticGzip(this.options.rootPath, {
      enableBrotli: true,
      orderPreference: ['br', 'gzip'],
      index: 'index.html',
      serveStatic: {
        cacheControl: false,
        setHeaders: (res: ServerResponse, path: string) =>
          res.setHeader('Cache-Control', cacheControlFor(path)),
      },
    });
    app.use(serve);
    // The app's own routes: index.html, negotiated and cached like the file itself.
    app.use(
      (req: Request, res: ServerResponse, next: (error?: unknown) => void) => {
        if (
          (req.method !== 'GET' && req.method !== 'HEAD') ||
          SOCKET_IO_PATH.test(req.path) ||
          // A missing file (`/x.js`) is a 404, not the app.
          /\.[^/]*$/.test(req.path) ||
          !req.accepts('html')
        )
          return next();
        req.url = '/index.html';
        serve(req, res, next);
      },
    );
  }
}
