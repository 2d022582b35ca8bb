import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { docCodeErrors } from '../../scripts/doc-code.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const check = (markdown: string) => docCodeErrors(root, [{ file: 'docs/page.md', markdown }]);

const goodBlock = [
  '# Page',
  '```ts',
  "import { createTetherClient } from 'tether-live/client';",
  '',
  "const client = createTetherClient({ url: 'http://127.0.0.1:8080' });",
  "client.subscribe('metrics');",
  '```',
].join('\n');

describe('the docs code check', () => {
  it('accepts a block that uses the package as it is, and skips blocks marked as fragments', () => {
    const fragment = ['<!-- fragment -->', '```ts', 'client.whatever(undefinedName);', '```'];
    const prose = ['```sh', 'npm test', '```', '```json', '{ "not": ts }', '```'];
    expect(check([goodBlock, ...fragment, ...prose].join('\n'))).toEqual([]);
  }, 20_000);

  it('names a wrong export and a wrong option with the Markdown line and the TypeScript code', () => {
    const markdown = [
      '# Page',
      '',
      '```ts',
      "import { createClient } from 'tether-live/client';",
      '```',
      'Some prose.',
      '```ts',
      "import { createTetherClient } from 'tether-live/client';",
      '',
      "createTetherClient({ url: 'http://127.0.0.1:8080', retries: 3 });",
      '```',
    ].join('\n');
    const errors = check(markdown);
    expect(errors.map(({ file, line, code }) => `${file}:${line}: ${code}`)).toEqual([
      'docs/page.md:4: TS2305',
      'docs/page.md:10: TS2353',
    ]);
    expect(errors[0]!.message).toContain("has no exported member 'createClient'");
    expect(errors[1]!.message).toContain("'retries' does not exist");
  }, 20_000);

  it('keeps each block a module of its own, so one block cannot lean on names of another', () => {
    const second = ['```ts', "client.subscribe('metrics');", '```'].join('\n');
    expect(check(`${goodBlock}\n${second}`).map((error) => error.code)).toEqual(['TS2304']);
  }, 20_000);

  it('checks tsx blocks and blocks indented inside list items', () => {
    const markdown = [
      '- a list item:',
      '',
      '  ```tsx',
      "  import { useTopic } from 'tether-live/solid';",
      "  export const Count = () => <p>{useTopic<number>('n').data()?.toFixed(2)}</p>;",
      "  export const Wrong = () => <p>{useTopic<number>('n').data().toFixed(2)}</p>;",
      '  ```',
    ].join('\n');
    expect(check(markdown).map(({ line, code }) => `${line}: ${code}`)).toEqual(['6: TS2532']);
  }, 20_000);
});
