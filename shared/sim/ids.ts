/** Identifiers that look like AWS's own (deployment ids, stack UUIDs, resource ids), drawn from a seeded generator
 * so a run of the simulator is repeatable. */
import { createHash } from 'node:crypto';

export class IdGenerator {
  private state: number;

  constructor(seed = 1) {
    this.state = seed >>> 0 || 1;
  }

  /** mulberry32: small, fast, good enough for identifiers. */
  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  digits(count: number): string {
    let result = String(1 + Math.floor(this.next() * 9));
    while (result.length < count) result += String(Math.floor(this.next() * 10));
    return result;
  }

  hex(count: number): string {
    let result = '';
    while (result.length < count) result += Math.floor(this.next() * 16).toString(16);
    return result;
  }

  uuid(): string {
    const variant = (8 + Math.floor(this.next() * 4)).toString(16);
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`;
  }
}

/** A stable hex digest of the parts: the same stack and logical id always get the same fake physical id. */
export function stableHex(length: number, ...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, length);
}
