// The machine the figures were taken on: they mean little without it.
import { arch, cpus, loadavg, platform, release, totalmem, type as osType } from 'node:os';
import { readFileSync } from 'node:fs';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the bench started: how busy the machine already was. */
  readonly load: number;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() || 'unknown CPU',
    cores: list.length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    os: `${osName()} (${osType()} ${release()}, ${platform()}/${arch()})`,
    load: loadavg()[0] ?? 0,
  };
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // not Linux, or no os-release: the kernel line below says enough
  }
  return osType();
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memory} RAM, Node ${m.node}, ${m.os}; load average ${m.load.toFixed(2)} at the start`;
}
