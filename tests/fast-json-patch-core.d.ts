// fast-json-patch (the tests' reference for RFC 6902) types its ES modules as module/*.d.ts,
// which TypeScript does not pair with an import that names the .mjs file.
declare module 'fast-json-patch/module/core.mjs' {
  export * from 'fast-json-patch/module/core';
}
