/**
 * Colour for terminal output, off with --no-color, NO_COLOR, or when stdout is not a TTY.
 */
export interface Palette {
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export const colours: Palette = {
  bold: wrap(1, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
  dim: wrap(2, 22),
};

const id = (s: string): string => s;
export const plain: Palette = { bold: id, red: id, green: id, yellow: id, cyan: id, dim: id };

export function palette(noColorFlag: boolean, stream: NodeJS.WriteStream = process.stdout): Palette {
  if (noColorFlag || process.env['NO_COLOR'] !== undefined || !stream.isTTY) return plain;
  return colours;
}
