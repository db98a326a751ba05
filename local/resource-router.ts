/**
 * Picks the API Gateway resource a request path goes to, the way a REST API routes: a literal
 * segment wins over `{name}` (exactly one non-empty segment), which wins over `{name+}` (one or
 * more segments, greedy); the first segment where two candidates differ decides. A trailing
 * slash is ignored (API Gateway routes `/a/` as `/a`). Parameter values are percent-decoded.
 */
import { templateSegments, type TemplateSegment } from "../lambda/policy/route-rules";

export interface RouteMatch {
  /** The resource template, e.g. `/reports/{name}`. */
  resource: string;
  /** As API Gateway fills `pathParameters`: null when the resource has none. */
  pathParameters: Record<string, string> | null;
}

interface Resource {
  template: string;
  segments: TemplateSegment[];
}

/** How specific a segment kind is: lower wins. */
const RANK = { literal: 0, parameter: 1, greedy: 2 } as const;

export class ResourceRouter {
  private readonly resources: Resource[];

  /** `templates`: resource paths such as `/`, `/reports/{name}`, `/{proxy+}`. */
  constructor(templates: readonly string[]) {
    this.resources = [...new Set(templates)].map((template) => {
      const segments = templateSegments(template);
      if (segments.some((segment) => segment.kind === "wildcard")) throw new Error(`"${template}" is not an API Gateway resource: "*" is a rule wildcard`);
      return { template, segments };
    });
  }

  /** The resource for a raw (still percent-encoded) request path, or undefined when none matches. */
  route(rawPath: string): RouteMatch | undefined {
    const trimmed = rawPath.length > 1 && rawPath.endsWith("/") ? rawPath.slice(0, -1) : rawPath;
    const parts = trimmed === "/" || trimmed === "" ? [] : trimmed.slice(1).split("/").map(decodeSegment);
    let best: { match: RouteMatch; rank: number[] } | undefined;
    for (const resource of this.resources) {
      const found = matchResource(resource, parts);
      if (found && (!best || compareRanks(found.rank, best.rank) < 0)) best = found;
    }
    return best?.match;
  }
}

function matchResource(resource: Resource, parts: string[]): { match: RouteMatch; rank: number[] } | undefined {
  const parameters: Record<string, string> = {};
  const rank: number[] = [];
  for (const [index, segment] of resource.segments.entries()) {
    if (segment.kind === "greedy") {
      const rest = parts.slice(index).join("/");
      if (rest === "") return undefined;
      parameters[segment.name] = rest;
      rank.push(RANK.greedy);
      return { match: { resource: resource.template, pathParameters: parameters }, rank };
    }
    const part = parts[index];
    if (part === undefined || part === "") return undefined;
    if (segment.kind === "literal" && part !== segment.text) return undefined;
    if (segment.kind === "parameter") parameters[segment.name] = part;
    rank.push(RANK[segment.kind === "literal" ? "literal" : "parameter"]);
  }
  if (parts.length !== resource.segments.length) return undefined;
  const pathParameters = Object.keys(parameters).length > 0 ? parameters : null;
  return { match: { resource: resource.template, pathParameters }, rank };
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
