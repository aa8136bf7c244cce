/**
 * Opaque global IDs: base64url of `<Type>:<id>`. Decoding validates the type
 * and the id, so a malformed ID is a clear BAD_USER_INPUT, never a crash.
 */
import { badInput } from './errors.js';

export type NodeType = 'User' | 'Product' | 'Cart' | 'Order';
const NODE_TYPES = new Set<string>(['User', 'Product', 'Cart', 'Order']);

export function toGlobalId(type: NodeType, id: number): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

/** Decodes any global ID; `null` when it is not one of ours. */
export function parseGlobalId(globalId: string): { type: NodeType; id: number } | null {
  if (globalId.length > 64 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const match = /^([A-Za-z]+):([1-9][0-9]{0,9})$/.exec(Buffer.from(globalId, 'base64url').toString());
  if (!match || !NODE_TYPES.has(match[1]!)) return null;
  const id = Number(match[2]);
  return id <= 2147483647 ? { type: match[1] as NodeType, id } : null;
}

/** Decodes a global ID that must name a `type`; BAD_USER_INPUT otherwise. */
export function fromGlobalId(globalId: string, type: NodeType, argument = 'id'): number {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) {
    throw badInput(`${argument} must be a ${type} ID, got ${JSON.stringify(globalId.slice(0, 80))}`, { argument });
  }
  return parsed.id;
}
