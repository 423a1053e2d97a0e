/* Process-level tests: the built api runs as real child processes (restarts, kills). */
module.exports = {
  displayName: 'api-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  testTimeout: 60_000,
  // Each test runs several api processes (and Redis): one file at a time keeps timings honest.
  maxWorkers: 1,
};
