/** True when the test process runs as root (network-namespace tests need it). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Options for a tap test that needs root: `t.test('x', needsRoot(), ...)` skips with a reason otherwise.
 */
export function needsRoot(): { skip: string | false } {
  return { skip: isRoot() ? false : 'needs root (network namespaces, iptables)' };
}
