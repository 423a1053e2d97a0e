/* Smoke test of the benchmark: the reference server and the built api as real processes. */
module.exports = {
  displayName: 'bench',
  preset: '../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
