/**
 * Draws the extension icon at build time (no image committed, no image library): a green
 * rounded square with three celery stalks, antialiased by supersampling, encoded as PNG.
 */
import { deflateSync } from "node:zlib";
import { crc32 } from "./zip";

export const ICON_SIZES = [16, 32, 48, 128] as const;

type Rgba = readonly [number, number, number, number];
const TRANSPARENT: Rgba = [0, 0, 0, 0];
const BACKGROUND: Rgba = [46, 125, 50, 255];
const STALK: Rgba = [220, 237, 200, 255];
const LEAF: Rgba = [156, 204, 101, 255];

function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function insideRoundedSquare(x: number, y: number, radius: number): boolean {
  const cx = Math.min(Math.max(x, radius), 1 - radius);
  const cy = Math.min(Math.max(y, radius), 1 - radius);
  return Math.hypot(x - cx, y - cy) <= radius;
}

const STALKS = [
  { top: [0.3, 0.3], leaf: [0.27, 0.24] },
  { top: [0.5, 0.24], leaf: [0.5, 0.18] },
  { top: [0.7, 0.3], leaf: [0.73, 0.24] },
] as const;

/** The color at a point of the unit square. */
function colorAt(x: number, y: number): Rgba {
  if (!insideRoundedSquare(x, y, 0.2)) return TRANSPARENT;
  for (const { leaf } of STALKS) if (Math.hypot(x - leaf[0], y - leaf[1]) < 0.1) return LEAF;
  for (const { top } of STALKS) if (distanceToSegment(x, y, 0.5, 0.84, top[0], top[1]) < 0.055) return STALK;
  return BACKGROUND;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

export function renderIconPng(size: number, samples = 4): Buffer {
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1);
    rows[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const [r, g, b, a] = colorAt((x + (sx + 0.5) / samples) / size, (y + (sy + 0.5) / samples) / size);
          // Premultiplied, so transparent samples do not darken the edges.
          sum[0]! += (r * a) / 255;
          sum[1]! += (g * a) / 255;
          sum[2]! += (b * a) / 255;
          sum[3]! += a;
        }
      }
      const alpha = sum[3]! / (samples * samples);
      const at = row + 1 + x * 4;
      for (let c = 0; c < 3; c++) rows[at + c] = alpha ? Math.round((sum[c]! / (samples * samples)) * (255 / alpha)) : 0;
      rows[at + 3] = Math.round(alpha);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
