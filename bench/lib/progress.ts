/**
 * A one-line progress display on stderr (a TTY redraws in place; a pipe gets a line per
 * step), so long runs show they are alive without cluttering the final report on stdout.
 */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private started = Date.now();
  private scenario = "";

  begin(scenario: string): void {
    this.scenario = scenario;
    this.started = Date.now();
    this.update("starting");
  }

  update(step: string, done?: number, total?: number): void {
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    const frac = done !== undefined && total ? ` ${bar(done / total)} ${done}/${total}` : "";
    const line = `[${this.scenario} ${secs}s] ${step}${frac}`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  end(): void {
    if (this.tty) process.stderr.write("\r\x1b[K");
  }
}

function bar(f: number): string {
  const width = 20;
  const filled = Math.round(Math.min(1, Math.max(0, f)) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}
