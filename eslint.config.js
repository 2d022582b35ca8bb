// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import solid from 'eslint-plugin-solid/configs/typescript';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Layer boundaries (docs/architecture.md): dependencies point one way. Each layer lists what it
// must not import, as regexes over the import specifier, with the reason shown to whoever breaks it.
// Relative specifiers are matched by the folder they name, so the rule holds at any depth.
const ownLayer = (name) => `^(\\.\\.?/)+(\\.\\./)*(src/)?${name}(/|$)`;
const boundaries = {
  machines: [
    {
      regex: '^(?!xstate(/|$)|\\./)',
      message:
        'machines/ are pure statecharts: they import only xstate and other machines/ files; effects are supplied with provide().',
    },
  ],
  protocol: [
    {
      regex: '^(?!valibot$|\\./)',
      message:
        'src/protocol stands alone (shared by client and server): it imports only valibot and its own files.',
    },
  ],
  client: [
    {
      regex: ownLayer('(dashboard|solid)'),
      message:
        'src/client is the framework-free runtime: it never imports src/dashboard or src/solid.',
    },
    {
      regex: '^(?!xstate(/|$)|idb-keyval$|\\.|node:)',
      message:
        'src/client stays lean for the bundle: its only packages are xstate and idb-keyval (the durable outbox).',
    },
  ],
  solid: [
    {
      regex: ownLayer('(dashboard|machines|protocol)'),
      message:
        'src/solid is a thin binding over src/client: it imports only src/client and solid-js.',
    },
    {
      regex: '^(?!solid-js(/|$)|\\.|node:)',
      message: 'src/solid depends on solid-js only (and src/client).',
    },
  ],
  dashboard: [
    {
      regex: ownLayer('machines'),
      message:
        'The dashboard reaches the statecharts through src/client and src/solid, not machines/.',
    },
  ],
  // Everything that runs in the browser: no server code, no Node built-ins.
  browser: [
    {
      regex: `${ownLayer('server')}|^tether/server$`,
      message: 'Browser code never imports server/ (it would pull Node code into the bundle).',
    },
    {
      regex: '^node:',
      message: 'Browser code never imports node: modules (they do not exist in the browser).',
    },
  ],
  server: [
    {
      regex: ownLayer('(client|solid|dashboard|machines)'),
      message: 'server/ shares only src/protocol with the browser code.',
    },
  ],
};

// Strings parsed as HTML or code are injection sinks; every server value is rendered through
// Solid's text bindings instead (docs/security.md).
const htmlSinks = [
  ['innerHTML', 'outerHTML', 'srcdoc'].flatMap((name) => [
    {
      selector: `MemberExpression[property.name='${name}']`,
      message: `${name} parses a string as HTML; render text through Solid bindings.`,
    },
    {
      selector: `JSXAttribute[name.name='${name}']`,
      message: `The ${name} attribute parses a string as HTML; render text through Solid bindings.`,
    },
  ]),
  ['insertAdjacentHTML', 'setHTMLUnsafe', 'createContextualFragment', 'write', 'writeln'].map(
    (name) => ({
      selector: `CallExpression[callee.property.name='${name}']${
        name.startsWith('write') ? "[callee.object.name='document']" : ''
      }`,
      message: `${name}() parses a string as HTML; render text through Solid bindings.`,
    }),
  ),
  [
    { selector: "NewExpression[callee.name='DOMParser']", message: 'DOMParser parses HTML.' },
    { selector: "CallExpression[callee.name='eval']", message: 'eval() runs a string as code.' },
    {
      selector: "NewExpression[callee.name='Function']",
      message: 'new Function() runs a string as code.',
    },
  ],
].flat();

/** no-restricted-imports does not see import(): the same regexes, as syntax rules. */
const dynamicImports = (patterns) =>
  patterns.map(({ regex, message }) => ({
    selector: `ImportExpression > Literal.source[value=/${regex.replaceAll('/', '\\/')}/]`,
    message,
  }));

function layer(files, names, { browser = false } = {}) {
  const patterns = names.flatMap((name) => boundaries[name]);
  return {
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
      'no-restricted-syntax': ['error', ...(browser ? htmlSinks : []), ...dynamicImports(patterns)],
    },
  };
}

const browserFiles = [
  'src/**/*.{ts,tsx}',
  'examples/custom-topic/{main.tsx,topics.ts}',
  'tests/package/app/webpack/*.js',
];
const solidFiles = [
  'src/dashboard/**/*.tsx',
  'src/solid/**/*.{ts,tsx}',
  'src/main.tsx',
  'examples/**/*.tsx',
];

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'lib/', 'tests/e2e/artifacts/', 'patches/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // noUncheckedIndexedAccess is on: `xs[i]!` marks an index the code has just bounds-checked
      // or built itself; a runtime check there would be a dead branch.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers in messages and keys are the common, safe case; objects and nullish stay flagged.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `return reply(res, 404, ...)` ends a handler early and `() => (a(), b())` runs two steps:
      // the house style. TypeScript already refuses a void where a value is used.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Its findings here are guards the types call impossible but the runtime does not: globals
      // the DOM lib declares that Node, jsdom or older browsers lack (navigator.locks,
      // localStorage), and values parsed from the wire that are checked before they are trusted.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // The client API is made of closures, not classes: its interfaces use method syntax, and
      // destructuring `{ send, state }` from it is safe, which this rule cannot tell.
      '@typescript-eslint/unbound-method': 'off',
      // `_name` marks a binding kept for its position; rest siblings omit fields on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Passing on a caught `unknown` is forwarding an error, not inventing one.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
  {
    files: browserFiles,
    languageOptions: { globals: { ...globals.browser } },
  },
  { files: solidFiles, ...solid },
  layer(['machines/**/*.ts'], ['machines']),
  layer(['src/protocol/**/*.ts'], ['protocol'], { browser: true }),
  layer(['src/client/**/*.ts'], ['client', 'browser'], { browser: true }),
  layer(['src/solid/**/*.{ts,tsx}'], ['solid', 'browser'], { browser: true }),
  layer(['src/dashboard/**/*.{ts,tsx}'], ['dashboard', 'browser'], { browser: true }),
  layer(['src/main.tsx', 'examples/custom-topic/{main.tsx,topics.ts}'], ['browser'], {
    browser: true,
  }),
  layer(['server/**/*.ts'], ['server']),
  {
    // TransportSettings is `any` on purpose (see its doc): provide() compares actor inputs
    // contravariantly, and the machine passes the settings through without looking inside.
    files: ['machines/connection.ts', 'machines/connection-types.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['tests/**', 'bench/**'],
    rules: {
      // Tests and benchmarks read raw frames off the wire with JSON.parse and check them with
      // expect(); typing each parse would repeat the assertion that follows it.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Stubs of async interfaces (fetch's json(), verify()) are async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // Fake WebSocket/EventSource constructors are classes whose constructor returns the fake.
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      // Fuzzers and malformed-input tests delete fields from frames to break them.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // `ws` hands a Buffer with its default binaryType; String(data) decodes it.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // `as Expect` keeps the literal reply types in fast-check arbitraries; the rule reads the
    // contextual type and calls them unnecessary, but without them tsc widens them to string.
    files: ['tests/faults/fuzz-frames.ts'],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },
  {
    // A MediaQueryList stub for jsdom implements the deprecated members too, for uPlot.
    files: ['tests/ui/setup.ts'],
    rules: { '@typescript-eslint/no-deprecated': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
