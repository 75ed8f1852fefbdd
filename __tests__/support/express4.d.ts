// `express4` is an npm alias of express@4, installed so every middleware is tested on both
// major versions. Its API is typed like the current one for the purposes of these tests.
declare module 'express4' {
  import express from 'express';
  export default express;
}
