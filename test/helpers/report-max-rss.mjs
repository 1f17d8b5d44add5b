// Preloaded into a keyheat child process by tests that bound its memory: at exit, its peak
// resident set size (kilobytes) goes to stderr on a line of its own. VmHWM of /proc/self/status
// is this process's own high-water mark; getrusage's maxrss would also count the memory of the
// process that spawned it, copied by the fork before exec.
import { readFileSync, writeSync } from 'node:fs';

process.on('exit', () => {
  let kb = process.resourceUsage().maxRSS;
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    if (hwm !== null) kb = Number(hwm[1]);
  } catch {
    // Not Linux: getrusage it is.
  }
  writeSync(2, `\nkeyheat-max-rss-kb=${kb}\n`);
});
