/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // BullMQ's connections can outlive a test file by a moment; never let them hold CI.
  forceExit: true,
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // Without Redis: one line naming the skipped Redis suites and how to run them.
  globalSetup: '<rootDir>/__tests__/support/redis-notice.ts',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // jose 6, pg-boss 12 and serialize-error and non-error (pg-boss's) ship ESM only; Jest requires ESM natively
  // only on Node >= 24.9, so transform them. PGlite (CommonJS) loads its WebAssembly with
  // import(): `npm test` runs Jest with --experimental-vm-modules for it.
  transformIgnorePatterns: ['/node_modules/(?!(jose|pg-boss|serialize-error|non-error)/)'],
  // Examples import the package by name, as users do.
  moduleNameMapper: {
    '^express-yoti-notifications$': '<rootDir>/lib/index.ts',
    '^express-yoti-notifications/testing$': '<rootDir>/lib/testing/index.ts',
    '^express-yoti-notifications/yoti$': '<rootDir>/lib/yoti/index.ts',
    '^express-yoti-notifications/bullmq$': '<rootDir>/lib/bullmq/index.ts',
    '^express-yoti-notifications/pg-boss$': '<rootDir>/lib/pg-boss/index.ts',
  },
  collectCoverageFrom: ['lib/**/*.ts'],
  coverageReporters: ['text-summary', 'text'],
  coverageThreshold: {
    './lib/core/': { statements: 95, branches: 90, functions: 95, lines: 95 },
  },
};
