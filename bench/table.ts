/** The bench's plain-text table: fixed-width cells, numbers to two decimals, and the verdict against a target. */
export function row(cells: readonly (string | number | undefined)[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => {
      const text = typeof cell === 'number' ? (Number.isInteger(cell) ? String(cell) : cell.toFixed(2)) : (cell ?? '—');
      return text.padEnd(widths[index] ?? 10);
    })
    .join('  ');
}

export function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}
