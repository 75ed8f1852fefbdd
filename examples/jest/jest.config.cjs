/** @type {import('jest').Config} */
module.exports = {
  // jose, which express-yoti-notifications uses for keys, ships ES modules only: let Jest
  // compile it to CommonJS like your own files.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  transform: {
    '\\.[jt]sx?$': ['babel-jest', { plugins: ['@babel/plugin-transform-modules-commonjs'] }],
  },
};
