import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The layer boundaries and the HTML-sink ban live in eslint.config.js. This lints small snippets
// as if they sat in each layer, through the project's own config, and checks that a break fails
// with the rule's id and its reason. Type information plays no part in these rules, so the typed
// ones are switched off here: that keeps each check fast and lets the snippets be virtual files.
const eslint = new ESLint({
  cwd: resolve(import.meta.dirname, '../..'),
  overrideConfig: tseslint.configs.disableTypeChecked,
});

async function findings(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}

// Loading the config and its plugins takes a while on a busy machine; do it once, up front.
beforeAll(() => findings('src/x.ts', ''), 60_000);

const IMPORTS = '@typescript-eslint/no-restricted-imports';
const SYNTAX = 'no-restricted-syntax';

describe('lint: layer boundaries', () => {
  it('src/client importing src/dashboard fails with the reason', async () => {
    expect(
      await findings('src/client/x.ts', "import { App } from '../dashboard/App.tsx';\nvoid App;\n"),
    ).toEqual([
      {
        ruleId: IMPORTS,
        message: expect.stringContaining('src/client is the framework-free runtime') as string,
      },
    ]);
  });

  it('machines/ importing node:fs fails with the reason', async () => {
    const [finding] = await findings(
      'machines/x.ts',
      "import { readFileSync } from 'node:fs';\nvoid readFileSync;\n",
    );
    expect(finding?.ruleId).toBe(IMPORTS);
    expect(finding?.message).toMatch(/machines\/ are pure statecharts: they import only xstate/);
  });

  it.each([
    ['src/client/x.ts', "import '../../server/hub.ts';", /Browser code never imports server\//],
    ['src/client/shared/x.ts', "export * from '../../../server/hub.ts';", /never imports server/],
    ['src/dashboard/x.tsx', "import 'node:fs';", /Browser code never imports node: modules/],
    ['src/solid/x.ts', "import '../../machines/connection.ts';", /thin binding over src\/client/],
    ['src/protocol/x.ts', "import '../client/index.ts';", /src\/protocol stands alone/],
    ['src/client/x.ts', "import 'solid-js';", /its only packages are xstate and idb-keyval/],
    ['server/x.ts', "import '../src/client/index.ts';", /server\/ shares only src\/protocol/],
  ])('%s: %s fails', async (file, code, reason) => {
    const [finding, ...more] = await findings(file, code);
    expect(more).toEqual([]);
    expect(finding?.ruleId).toBe(IMPORTS);
    expect(finding?.message).toMatch(reason);
  });

  it('a dynamic import across a boundary fails too', async () => {
    const [finding] = await findings('src/main.tsx', "void import('node:fs');\n");
    expect(finding).toEqual({ ruleId: SYNTAX, message: expect.stringMatching(/node: modules/) });
  });

  it.each([
    ['src/client/x.ts', "import { setup } from 'xstate';\nimport '../../machines/connection.ts';"],
    ['src/client/shared/x.ts', "import '../../protocol/index.ts';\nimport './hub.ts';"],
    ['src/dashboard/x.ts', "import '../solid/index.ts';\nimport 'uplot';"],
    ['machines/x.ts', "import { setup } from 'xstate';\nimport './wire.ts';"],
    ['server/x.ts', "import 'node:http';\nimport '../src/protocol/index.ts';\nimport 'ws';"],
  ])('%s may import what its layer allows', async (file, code) => {
    const restricted = (await findings(file, code)).filter(
      ({ ruleId }) => ruleId === IMPORTS || ruleId === SYNTAX,
    );
    expect(restricted).toEqual([]);
  });
});

describe('lint: no HTML sinks in browser code', () => {
  it.each([
    ['src/dashboard/x.ts', 'document.body.innerHTML = location.hash;', /innerHTML parses a string/],
    ['src/client/x.ts', "document.body.insertAdjacentHTML('beforeend', '');", /insertAdjacent/],
    ['examples/custom-topic/main.tsx', "document.write('<p>');", /write\(\) parses a string/],
    ['src/dashboard/x.tsx', 'export const X = () => <div innerHTML={location.hash} />;', /attri/],
    ['src/dashboard/x.ts', "new DOMParser().parseFromString('', 'text/html');", /DOMParser/],
  ])('%s: %s fails', async (file, code, reason) => {
    const sinks = (await findings(file, code)).filter(({ ruleId }) => ruleId === SYNTAX);
    expect(sinks).toEqual([{ ruleId: SYNTAX, message: expect.stringMatching(reason) }]);
  });
});
