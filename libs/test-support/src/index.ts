export * from './lib/api-process';
export * from './lib/chat-client';
export * from './lib/redis-server';
export * from './lib/redis-cluster';
export * from './lib/raw-transport';
export * from './lib/postgres-server';
