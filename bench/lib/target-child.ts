// Starts lib/target-process in a child and hands back its origin.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface TargetChild {
  readonly origin: string;
  close(): Promise<void>;
}

export function startTargetChild(): Promise<TargetChild> {
  const script = fileURLToPath(new URL('./target-process.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (b: Buffer) => {
      buffered += b.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      resolve({
        origin: buffered.slice(0, nl).trim(),
        close: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.stdin.end();
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      });
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the reference target process exited early (code ${code})`)));
  });
}
