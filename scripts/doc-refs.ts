import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BrokenRef {
  file: string;
  line: number;
  ref: string;
  problem: string;
}

/** A docs page followed by `§ Heading` or by `, "Heading"`: how code comments cite a docs section. */
const SECTION_REF = /(docs\/[\w-]+\.md)(?:, "([^"]+)"| § ([A-Z][\w /-]*[\w]))/g;

/** The headings of a Markdown page, without their `#`s (fenced code is skipped). */
function headingsOf(text: string): Set<string> {
  const headings = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && /^#{1,6} /.test(line)) headings.add(line.replace(/^#+ /, '').trim());
  }
  return headings;
}

/**
 * The docs sections that source files cite and that do not exist: the page is gone, or no heading
 * starts with the cited words (a comment may cite `§ Merging` for "Merging concurrent edits").
 */
export function brokenDocRefs(root: string, files: readonly string[]): BrokenRef[] {
  const pages = new Map<string, Set<string> | null>();
  const headingsIn = (page: string) => {
    if (!pages.has(page)) {
      let headings: Set<string> | null = null;
      try {
        headings = headingsOf(readFileSync(join(root, page), 'utf8'));
      } catch {
        headings = null;
      }
      pages.set(page, headings);
    }
    return pages.get(page)!;
  };
  const broken: BrokenRef[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((text, index) => {
      for (const match of text.matchAll(SECTION_REF)) {
        const [ref, page, quoted, cited] = match;
        const section = (quoted ?? cited)!;
        const headings = headingsIn(page!);
        const problem =
          headings === null
            ? `${page} does not exist`
            : [...headings].some((heading) => heading.startsWith(section))
              ? null
              : `${page} has no section "${section}"`;
        if (problem) broken.push({ file, line: index + 1, ref, problem });
      }
    });
  }
  return broken;
}
