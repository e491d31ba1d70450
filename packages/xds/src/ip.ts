// IP addresses as the Workload API carries them (raw 4- or 16-byte strings) and as amesh models them
// (textual, IPv6 in RFC 5952 compressed form). Pure functions; no DNS.
import { isIPv4, isIPv6 } from 'node:net';

/** Parses a textual IPv4/IPv6 address into its 4 or 16 bytes; undefined when it is not an IP. */
export function ipToBytes(ip: string): Uint8Array | undefined {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) return undefined;
  let text = ip;
  const out = new Uint8Array(16);
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hextets.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const b = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === undefined || rest === '' ? [] : rest.split(':');
  const parts = rest === undefined ? headParts : [...headParts, ...Array(8 - headParts.length - restParts.length).fill('0'), ...restParts];
  for (let i = 0; i < 8; i++) {
    const v = parseInt(parts[i]!, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  return out;
}

/** Formats 4 or 16 raw bytes as text (IPv6 compressed per RFC 5952); undefined for any other length. */
export function bytesToIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return undefined;
  const h: number[] = [];
  for (let i = 0; i < 16; i += 2) h.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run (length >= 2) of zero hextets, the first one on ties.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = h.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
