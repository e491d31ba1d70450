// Reads a TAP 14 stream as node-tap writes it (nested subtests indented by 4 spaces) and counts leaf test points:
// a point is a leaf when it closes no subtest of its own (no deeper plan line right before it).
// Returns { passed, failed, skipped, report } where report lists each file's result and every failure.
export function summarizeTap(text) {
  const lines = text.split('\n');
  let passed = 0, failed = 0, skipped = 0;
  const report = [];
  const depth = (l) => (l.match(/^( *)/)[1].length / 4) | 0;
  let file = '';
  for (let i = 0; i < lines.length; i++) {
    const sub = lines[i].match(/^# Subtest: (.*)$/);
    if (sub) file = sub[1];
    const m = lines[i].match(/^( *)(not ok|ok) \d+(?: - (.*))?$/);
    if (!m) continue;
    const d = depth(lines[i]);
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    const prev = j >= 0 ? lines[j] : '';
    const closesSubtest = /^ *1\.\.\d+/.test(prev) && depth(prev) > d || /^ *\}$/.test(prev) && depth(prev) > d;
    const desc = m[3] ?? '';
    const skip = /# (SKIP|TODO)\b/i.test(desc);
    if (d === 0) report.push(`${m[2] === 'ok' ? 'ok    ' : 'FAILED'} ${desc}`);
    if (closesSubtest && !skip) continue;
    if (skip) skipped++;
    else if (m[2] === 'ok') passed++;
    else {
      failed++;
      report.push(`  not ok: ${file ? `${file} > ` : ''}${desc}`);
    }
  }
  return { passed, failed, skipped, report };
}
