// The column layout of iproute2's ss (misc/ss.c render()): each column as wide as its widest
// cell, addresses right-aligned against their ports, and — when the terminal width is known
// (a tty, or $COLUMNS) — the spare width shared out between the columns. Without a width
// ("compact" output, e.g. into a pipe) nothing is padded at the end of a line.

export interface Column {
  header: string;
  align: 'left' | 'right';
  /** Printed before the cell unless it starts the line. */
  delimiter: string;
  enabled: boolean;
}

/** ss's columns, in order. The last one ("extra") carries -i/-e text, usually starting with "\n\t". */
export function ssColumns(): Column[] {
  return [
    { header: 'Netid', align: 'left', delimiter: '', enabled: true },
    { header: 'State', align: 'left', delimiter: ' ', enabled: true },
    { header: 'Recv-Q', align: 'left', delimiter: ' ', enabled: true },
    { header: 'Send-Q', align: 'left', delimiter: ' ', enabled: true },
    { header: 'Local Address:', align: 'right', delimiter: ' ', enabled: true },
    { header: 'Port', align: 'left', delimiter: '', enabled: true },
    { header: 'Peer Address:', align: 'right', delimiter: ' ', enabled: true },
    { header: 'Port', align: 'left', delimiter: '', enabled: true },
    { header: 'Process', align: 'left', delimiter: '', enabled: true },
    { header: '', align: 'left', delimiter: '', enabled: true },
  ];
}

/**
 * Renders rows of cells (one per column, disabled columns included and ignored). The header row
 * is rows[0] when wanted. `screenWidth` undefined = compact output.
 */
export function renderTable(columns: Column[], rows: string[][], screenWidth?: number): string {
  const enabled = columns.map((c, i) => (c.enabled ? i : -1)).filter((i) => i >= 0);
  const maxLength = columns.map((_, i) => Math.max(0, ...rows.map((row) => (row[i] ?? '').length)));
  const width = columns.map(() => 0);
  let first = true;
  for (const i of enabled) {
    width[i] = !first && maxLength[i] ? maxLength[i] + columns[i].delimiter.length : maxLength[i];
    if (screenWidth !== undefined) width[i] = Math.min(width[i], screenWidth);
    if (width[i]) first = false;
  }
  if (screenWidth !== undefined) spread(width, screenWidth);
  // The last column a line can end with, apart from the extra text.
  const lastVisible = enabled.filter((i) => i !== columns.length - 1).at(-1);
  const out: string[] = [];
  for (const row of rows) {
    let line = '';
    let started = false;
    for (const i of enabled) {
      const cell = row[i] ?? '';
      let printed = 0;
      if (started) {
        line += columns[i].delimiter;
        printed = columns[i].delimiter.length;
      }
      started = true;
      if (width[i] && columns[i].align === 'right') {
        const pad = width[i] - cell.length - printed;
        if (pad > 0) {
          line += ' '.repeat(pad);
          printed += pad;
        }
      }
      line += cell;
      printed += cell.length;
      const isEnd = i === lastVisible || i === columns.length - 1;
      if (width[i] && columns[i].align === 'left' && !(screenWidth === undefined && isEnd)) {
        const pad = width[i] - printed;
        if (pad > 0) line += ' '.repeat(pad);
      }
    }
    out.push(screenWidth === undefined ? line.replace(/ +$/gm, '') : line);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * Second pass of ss's render_calc_width: break the columns into lines that fit the screen and
 * share each line's spare width out among its columns (the leftmost get the remainder).
 */
function spread(width: number[], screenWidth: number): void {
  let length = 0;
  let lineColumns = 0;
  let endOfLine = -1;
  for (let c = 0; c < width.length; c++) {
    if (!width[c]) continue;
    lineColumns++;
    length += width[c];
    const last = !width.slice(c + 1).some((w) => w);
    if (!last && length < screenWidth) continue;
    if (length !== screenWidth) {
      if (length > screenWidth) {
        length -= width[c];
        c--;
        lineColumns--;
      }
      const pad = screenWidth - length;
      const spacing = lineColumns > 0 ? Math.floor(pad / lineColumns) : 0;
      let remainder = lineColumns > 0 ? pad % lineColumns : 0;
      for (let t = c; t > endOfLine; t--) {
        if (!width[t]) continue;
        width[t] += spacing;
        if (remainder) {
          width[t]++;
          remainder--;
        }
      }
    }
    endOfLine = c;
    length = 0;
    lineColumns = 0;
  }
}
