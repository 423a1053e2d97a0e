export * from './lib/ack';
export * from './lib/events';
export * from './lib/models';
export * from './lib/schemas';
