import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import {
  JsonValue,
  TopicName,
  describeIssues,
  validateDashboardConfig,
} from '../src/protocol/index.ts';
import type { DashboardConfig } from '../src/protocol/index.ts';
import { acceptPatches } from './patch-actions.ts';
import type { TetherServer } from './tether-server.ts';

/**
 * The CLI's configuration files (docs/server.md): extra topics (`TETHER_TOPICS`) and the dashboard
 * layout (`TETHER_DASHBOARD`). Both are JSON, read once at start-up; a file that cannot be read or
 * does not validate stops the CLI with a message naming the variable, the file and the field.
 */

export const TopicFileEntry = v.strictObject({
  name: TopicName,
  initial: JsonValue,
  historyLength: v.optional(
    v.pipe(
      v.number(),
      v.integer('historyLength is a whole number'),
      v.minValue(0, 'historyLength is not negative'),
    ),
  ),
  /** Clients may change the topic with `{ ops }` / `{ data }` actions (acceptPatches). */
  writable: v.optional(v.boolean()),
});
export type TopicFileEntry = v.InferOutput<typeof TopicFileEntry>;

export const TopicsFile = v.pipe(
  v.array(TopicFileEntry, 'the file holds a JSON array of topic definitions'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const names = dataset.value.map((entry) => entry.name);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice !== undefined) addIssue({ message: `topic "${twice}" is defined twice` });
  }),
);

function readJson(variable: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `${variable}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${variable}: ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export function readTopicsFile(path: string, variable = 'TETHER_TOPICS'): TopicFileEntry[] {
  const checked = v.safeParse(TopicsFile, readJson(variable, path));
  if (!checked.success) throw new Error(`${variable}: ${path}: ${describeIssues(checked.issues)}`);
  return checked.output;
}

export function readDashboardFile(path: string, variable = 'TETHER_DASHBOARD'): DashboardConfig {
  const checked = validateDashboardConfig(readJson(variable, path));
  if (!checked.ok) throw new Error(`${variable}: ${path}: ${checked.message}`);
  return checked.config;
}

/** Defines each configured topic on `server`; throws when a name is already taken (e.g. `host.cpu`). */
export function defineConfiguredTopics(
  server: TetherServer,
  entries: readonly TopicFileEntry[],
): void {
  for (const entry of entries) {
    server.defineTopic(entry.name, {
      initial: entry.initial,
      ...(entry.historyLength === undefined ? {} : { historyLength: entry.historyLength }),
      ...(entry.writable ? { onAction: acceptPatches() } : {}),
    });
  }
}
