// Which strings are IP addresses, by the rules node:net's isIPv4()/isIPv6() apply, checked here
// so that rawsock/decode needs no node:net (and bundles for a browser). test/pure-entries.test.ts
// holds both to the same answers.

/** Dotted decimal: four numbers 0-255 without leading zeros ('192.0.2.1', not '192.0.2.01'). */
export function isIPv4Text(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every(isIPv4Part);
}

function isIPv4Part(part: string): boolean {
  return /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255;
}

/**
 * RFC 4291 text: eight groups of 1-4 hex digits, one `::` standing for one or more zero groups,
 * dotted decimal in place of the last two groups, and an optional `%zone` of letters, digits,
 * '-', '.' and ':'.
 */
export function isIPv6Text(text: string): boolean {
  const percent = text.indexOf('%');
  if (percent >= 0 && !/^[0-9a-zA-Z.:-]+$/.test(text.slice(percent + 1))) return false;
  const address = percent >= 0 ? text.slice(0, percent) : text;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  let words = 0;
  for (const [h, half] of halves.entries()) {
    if (half === '') continue;
    const pieces = half.split(':');
    for (const [p, piece] of pieces.entries()) {
      const last = h === halves.length - 1 && p === pieces.length - 1;
      if (/^[0-9a-fA-F]{1,4}$/.test(piece)) words += 1;
      else if (last && isIPv4Text(piece)) words += 2;
      else return false;
    }
  }
  return halves.length === 2 ? words <= 7 : words === 8;
}
