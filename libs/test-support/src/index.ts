export * from './lib/api-process';
export * from './lib/chat-client';
