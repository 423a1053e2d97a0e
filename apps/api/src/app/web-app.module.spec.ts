import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RecordingLogger } from '../testing/chat-test-kit';
import { createApp, listen } from './create-app';
import {
  IMMUTABLE_CACHE,
  REVALIDATE_CACHE,
  WebAppModule,
  cacheControlFor,
} from './web-app.module';

const INDEX = '<!doctype html><title>chat</title><chat-root></chat-root>';
const MAIN = `console.log(${JSON.stringify('web '.repeat(500))});`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP GET: the bytes as sent, not decoded (fetch would decode them). */
function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('the web app as served in production', () => {
  let webDist: string;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    webDist = mkdtempSync(join(tmpdir(), 'chat-web-'));
    const write = (name: string, content: string) => {
      writeFileSync(join(webDist, name), content);
      // What tools/precompress-web.mjs writes at build.
      writeFileSync(join(webDist, `${name}.br`), brotliCompressSync(content));
      writeFileSync(join(webDist, `${name}.gz`), gzipSync(content));
    };
    write('index.html', INDEX);
    write('main-AB12CD34.js', MAIN);
    writeFileSync(join(webDist, 'favicon.ico'), 'icon');
    const created = await createApp(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        STORE: 'memory',
        NODE_ENV: 'production',
        WEB_DIST: webDist,
      },
      { logger: new RecordingLogger() },
    );
    app = created.app;
    url = await listen(app, created.config);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(webDist, { recursive: true, force: true });
  });

  it('sends the brotli copy to a browser that accepts it, with the type of the file', async () => {
    const answer = await get(`${url}/main-AB12CD34.js`, {
      'Accept-Encoding': 'gzip, deflate, br',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBe('br');
    expect(answer.headers['content-type']).toMatch(/^text\/javascript/);
    expect(answer.headers['vary']).toMatch(/Accept-Encoding/i);
    expect(answer.body).toEqual(brotliCompressSync(MAIN));
    expect(answer.body.length).toBeLessThan(MAIN.length / 10);
  });

  it('sends the gzip copy to one that accepts only gzip, and the file itself to one that accepts neither', async () => {
    const gzip = await get(`${url}/main-AB12CD34.js`, {
      'Accept-Encoding': 'gzip',
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).toString()).toBe(MAIN);

    const plain = await get(`${url}/main-AB12CD34.js`, {
      'Accept-Encoding': 'identity',
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(MAIN);
  });

  it('caches hashed files for a year, immutable, and asks again for index.html and the rest every time', async () => {
    for (const encoding of ['br', 'identity']) {
      const headers = { 'Accept-Encoding': encoding };
      const main = await get(`${url}/main-AB12CD34.js`, headers);
      expect(main.headers['cache-control']).toBe(IMMUTABLE_CACHE);
      for (const path of ['/', '/index.html', '/favicon.ico']) {
        const answer = await get(`${url}${path}`, headers);
        expect([path, answer.status]).toEqual([path, 200]);
        expect([path, answer.headers['cache-control']]).toEqual([
          path,
          REVALIDATE_CACHE,
        ]);
      }
    }
  });

  it("answers the app's own routes with index.html (compressed too), a missing file with 404, and leaves socket.io alone", async () => {
    const deepLink = await get(`${url}/chat/u1234`, {
      'Accept-Encoding': 'br',
      Accept: 'text/html',
    });
    expect(deepLink.status).toBe(200);
    expect(deepLink.headers['content-encoding']).toBe('br');
    expect(deepLink.headers['cache-control']).toBe(REVALIDATE_CACHE);
    expect(deepLink.body).toEqual(brotliCompressSync(INDEX));

    expect((await get(`${url}/main-XXXXXXXX.js`)).status).toBe(404);

    const handshake = await get(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(handshake.status).toBe(200);
    expect(handshake.body.toString()).toMatch(/^0\{"sid":/);
  });

  it.each([
    ['main-7LWNJOTY.js', IMMUTABLE_CACHE],
    ['chunk-ABCDEFGH.js.br', IMMUTABLE_CACHE],
    ['styles-OSYTCLDK.css.gz', IMMUTABLE_CACHE],
    ['media/font-1A2B3C4D.woff2', IMMUTABLE_CACHE],
    ['index.html', REVALIDATE_CACHE],
    ['index.html.br', REVALIDATE_CACHE],
    ['favicon.ico', REVALIDATE_CACHE],
    ['main.js', REVALIDATE_CACHE],
  ])('caches %s as %s', (path, expected) => {
    expect(cacheControlFor(path)).toBe(expected);
  });
});

describe('the web app beside controllers', () => {
  @Controller()
  class ProbeController {
    @Get('healthz')
    live() {
      return { status: 'ok' };
    }
  }

  it("leaves a controller's paths to it (a probe is never answered with index.html)", async () => {
    const webDist = mkdtempSync(join(tmpdir(), 'chat-web-'));
    writeFileSync(join(webDist, 'index.html'), INDEX);
    @Module({
      imports: [WebAppModule.forRoot(webDist)],
      controllers: [ProbeController],
    })
    class ProbeApp {}
    const app = await NestFactory.create(ProbeApp, { logger: false });
    try {
      await app.listen(0, '127.0.0.1');
      const url = await app.getUrl();
      const probe = await get(`${url}/healthz`, { Accept: 'text/html' });
      expect(probe.status).toBe(200);
      expect(JSON.parse(probe.body.toString())).toEqual({ status: 'ok' });
      const page = await get(`${url}/chat/u1`, { Accept: 'text/html' });
      expect(page.body.toString()).toBe(INDEX);
    } finally {
      await app.close();
      rmSync(webDist, { recursive: true, force: true });
    }
  });
});
