/**
 * Dawn (the native WebGPU in Node) prints its own warnings straight to file
 * descriptor 2 ("Warning: vkCreateInstance: Found no drivers!", "Couldn't load
 * Vulkan…", "…artificially reduced…"), past anything JavaScript can intercept.
 * So the CLI runs itself as a child process whose stderr is a pipe, and passes
 * on every line but Dawn's; `--verbose` runs in place with everything shown.
 */
import { spawn } from 'node:child_process';

/** Set in the child so that it runs the command instead of relaunching. */
export const CHILD_ENV_VARIABLE = 'WEBGPU_RNN_CLI_FILTERED';

/**
 * Lines Dawn writes on its own: a `Warning: ` or `Error: ` line of Dawn's
 * (not Node's, which start `(node:PID)`), the `    at Function (dawn/…:line)`
 * source location below one, and the loader and adapter-limit notes.
 */
const DAWN_LINE = [
  /^(Warning|Info): /,
  /^\s+at \S+ \(.*\/dawn\/.*\)$/,
  /Couldn't load Vulkan/,
  /artificially reduced/,
  /^MESA: /,
  /^libEGL warning/,
];

export function isDawnNoise(line: string): boolean {
  return DAWN_LINE.some((pattern) => pattern.test(line));
}

/** Splits a byte stream into lines and passes on those that are not Dawn's. */
export class StderrFilter {
  private pending = '';
  private droppedLines = 0;

  constructor(private readonly write: (text: string) => void) {}

  push(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop()!;
    for (const line of lines) this.emit(line, '\n');
  }

  end(): void {
    if (this.pending) this.emit(this.pending, '');
    this.pending = '';
  }

  get dropped(): number {
    return this.droppedLines;
  }

  private emit(line: string, ending: string): void {
    if (isDawnNoise(line)) this.droppedLines++;
    else this.write(line + ending);
  }
}

/**
 * Runs this same script as a child with stderr filtered and resolves with its
 * exit code. Ctrl-C reaches the child from the terminal (same process group),
 * so this process ignores SIGINT and waits for the child to finish cleanly;
 * SIGTERM is passed on.
 */
export function relaunchWithQuietStderr(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD_ENV_VARIABLE]: '1' },
  });
  const filter = new StderrFilter((text) => process.stderr.write(text));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => filter.push(chunk));
  const ignoreInterrupt = () => {};
  const passTerminate = () => child.kill('SIGTERM');
  process.on('SIGINT', ignoreInterrupt);
  process.on('SIGTERM', passTerminate);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      filter.end();
      process.off('SIGINT', ignoreInterrupt);
      process.off('SIGTERM', passTerminate);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
