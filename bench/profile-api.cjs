// CPU profile of each api process the benchmark starts, for finding where a node's CPU goes:
//   PROFILE_DIR=/tmp/prof NODE_OPTIONS="--require ./bench/profile-api.cjs" node dist/bench/run.js …
// (NODE_OPTIONS may not carry --cpu-prof; the api processes inherit it.) One .cpuprofile per api
// process, written when the benchmark stops it (SIGTERM: Nest then exits by the signal, so not on
// 'exit'); open it in Chrome DevTools or speedscope. Other processes are left alone.
'use strict';

if ((process.argv[1] ?? '').endsWith('apps/api/main.js')) {
  const { Session } = require('node:inspector');
  const { writeFileSync } = require('node:fs');
  const { join } = require('node:path');
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // Once: Nest sends itself the signal again after closing, and must then exit by it.
  process.once('SIGTERM', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const file = join(
        process.env.PROFILE_DIR ?? '.',
        `api-${process.pid}.cpuprofile`,
      );
      writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
