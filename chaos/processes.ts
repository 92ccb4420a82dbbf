/** What /proc says about the machine's processes: the chaos run finds its targets and its orphans here. */
import { readdirSync, readFileSync } from 'node:fs';

/** One process, as /proc shows it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Arguments, the program first. */
  argv: string[];
}

/** Every process that can be read now (ones that end while being read are skipped). */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name in parentheses may itself hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(name), ppid, argv });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Processes whose environment holds `name=value` exactly (a marker every process of one chaos stack inherits). */
export function processesWithEnv(name: string, value: string): ProcInfo[] {
  const wanted = `${name}=${value}`;
  return listProcesses().filter((p) => {
    if (p.pid === process.pid) return false;
    try {
      return readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(wanted);
    } catch {
      return false;
    }
  });
}

/** Every descendant of `root` (children, their children, …). */
export function descendantsOf(root: number, all = listProcesses()): ProcInfo[] {
  const found: ProcInfo[] = [];
  const parents = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Whether a process with this id exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL, ignoring a process already gone. */
export function kill9(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A short description of a process for the report: its program and the script node runs. */
export function describeProcess(p: ProcInfo): string {
  const program = (p.argv[0] ?? '?').split('/').at(-1) ?? '?';
  const script = p.argv.slice(1).find((a) => a.endsWith('.js'));
  return script ? `${program} ${script.split('/').slice(-2).join('/')}` : `${program} ${p.argv.slice(1, 4).join(' ')}`;
}
