import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

// DESIGN.md: dependencies point one way. This test reads every import specifier and fails on
// any that crosses a line, so the rule holds without anyone having to remember it.
const root = resolve(import.meta.dirname, '../..');

type Layer = 'machines' | 'protocol' | 'client' | 'solid' | 'dashboard' | 'server';
const layerDirs: Record<Layer, string> = {
  machines: 'machines',
  protocol: 'src/protocol',
  client: 'src/client',
  solid: 'src/solid',
  dashboard: 'src/dashboard',
  server: 'server',
};
/** Which of our own layers each layer may import (itself always allowed). */
const allowedLayers: Record<Layer, Layer[]> = {
  machines: [],
  protocol: [],
  client: ['machines', 'protocol'],
  solid: ['client'],
  // The dashboard reads its config (/dashboard.json) with the schema the server validates it with.
  dashboard: ['client', 'solid', 'protocol'],
  server: ['protocol'],
};
/** Packages each layer may import; `*` means any package. */
const allowedPackages: Record<Layer, string[] | '*'> = {
  machines: ['xstate'],
  protocol: ['valibot', 'fast-json-patch'],
  client: ['xstate'],
  solid: ['solid-js'],
  dashboard: '*',
  server: '*',
};

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g),
  ].map((m) => m[1]!);
  const bare = [...text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...specifiers, ...bare, ...dynamic];
}

function layerOf(absPath: string): Layer | null {
  const rel = relative(root, absPath);
  for (const [layer, dir] of Object.entries(layerDirs) as [Layer, string][]) {
    if (rel === dir || rel.startsWith(dir + '/')) return layer;
  }
  return null;
}

const packageName = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;

function violations(layer: Layer): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(layerDirs[layer])) {
    for (const spec of importsOf(file)) {
      const where = `${relative(root, file)} imports '${spec}'`;
      if (spec.startsWith('.')) {
        const target = layerOf(resolve(dirname(file), spec));
        if (target !== layer && (target === null || !allowedLayers[layer].includes(target)))
          found.push(where);
      } else if (spec.startsWith('node:')) {
        if (layer !== 'server') found.push(where);
      } else {
        const allowed = allowedPackages[layer];
        if (allowed !== '*' && !allowed.includes(packageName(spec))) found.push(where);
      }
    }
  }
  return found;
}

describe('import boundaries', () => {
  for (const layer of Object.keys(layerDirs) as Layer[]) {
    it(`${layer} imports only what DESIGN.md allows`, () => {
      expect(sourceFiles(layerDirs[layer]).length).toBeGreaterThan(0);
      expect(violations(layer)).toEqual([]);
    });
  }
});
