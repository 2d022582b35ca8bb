import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { ChartGraph } from './statechart-graph.ts';

/** A state's box, in the drawing's coordinates. */
export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}
/** A transition's line and where its events are written. */
export interface PlacedEdge {
  id: string;
  points: { x: number; y: number }[];
  label: { x: number; y: number } | null;
}
export interface ChartLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}
export type LayoutChart = (graph: ChartGraph) => Promise<ChartLayout>;

const CHAR_WIDTH = 7;
const LINE_HEIGHT = 16;

/** The event list of an edge as one line of text. */
export function edgeText(events: string[]): string {
  return events.join(' / ');
}

/**
 * Lays the chart out with ELK's layered algorithm. elkjs is a large library, so it is loaded here,
 * on first use, as its own chunk: the dashboard's first visit does not download it.
 */
export const layoutWithElk: LayoutChart = async (graph) => {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const byParent = new Map<string | null, ElkNode[]>();
  const elkNodes = new Map<string, ElkNode>();
  for (const node of graph.nodes) {
    const elkNode: ElkNode = {
      id: node.id,
      width: node.label.length * CHAR_WIDTH + 24,
      height: LINE_HEIGHT + 16,
      labels: [{ text: node.label, width: node.label.length * CHAR_WIDTH, height: LINE_HEIGHT }],
      layoutOptions: {
        'elk.padding': '[top=28,left=12,bottom=12,right=12]',
        'elk.nodeLabels.placement': 'INSIDE V_TOP H_LEFT',
      },
    };
    elkNodes.set(node.id, elkNode);
    const siblings = byParent.get(node.parent) ?? [];
    siblings.push(elkNode);
    byParent.set(node.parent, siblings);
  }
  for (const [id, elkNode] of elkNodes) {
    const children = byParent.get(id);
    if (children) elkNode.children = children;
  }
  const edges: ElkExtendedEdge[] = graph.edges.map((edge) => {
    const text = edgeText(edge.events);
    return {
      id: edge.id,
      sources: [edge.source],
      targets: [edge.target],
      labels: [{ text, width: text.length * CHAR_WIDTH, height: LINE_HEIGHT }],
    };
  });
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      // Edges cross compound states' borders (websocket.connecting → reconnecting).
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      // ELK would give each edge, and its label, in the coordinates of its lowest common ancestor.
      'elk.json.edgeCoords': 'ROOT',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
    },
    children: byParent.get(null) ?? [],
    edges,
  };
  const laidOut = await elk.layout(root);
  const nodes: PlacedNode[] = [];
  const place = (children: ElkNode[] | undefined, dx: number, dy: number) => {
    for (const child of children ?? []) {
      const x = dx + (child.x ?? 0);
      const y = dy + (child.y ?? 0);
      nodes.push({ id: child.id, x, y, width: child.width ?? 0, height: child.height ?? 0 });
      place(child.children, x, y);
    }
  };
  place(laidOut.children, 0, 0);
  const placedEdges: PlacedEdge[] = (laidOut.edges ?? []).map((edge) => {
    const section = edge.sections?.[0];
    const label = edge.labels?.[0];
    return {
      id: edge.id,
      points: section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint] : [],
      label: label ? { x: label.x ?? 0, y: (label.y ?? 0) + LINE_HEIGHT - 4 } : null,
    };
  });
  return { width: laidOut.width ?? 0, height: laidOut.height ?? 0, nodes, edges: placedEdges };
};
