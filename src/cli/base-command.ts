/**
 * The base every wsherd command extends: turns a WsherdError into its message, hint and documented exit
 * code, without a stack trace unless --debug. Commands stay thin: parse, call one library function, render.
 */
import { Command, Flags } from '@oclif/core';
import { isWsherdError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { releaseEarlySignals } from './early-signals.js';

export abstract class WsherdCommand extends Command {
  /**
   * True for commands that handle SIGINT/SIGTERM themselves (run, compare and the foreground servers): they take a
   * signal noted during start-up over. Any other command ends as the signal would have ended it.
   */
  static handlesStopSignals = false;

  public override async init(): Promise<void> {
    await super.init();
    if (!(this.constructor as typeof WsherdCommand).handlesStopSignals) releaseEarlySignals();
  }

  static override baseFlags = {
    debug: Flags.boolean({ description: 'Print stack traces and internal details on errors.', default: false }),
    quiet: Flags.boolean({ char: 'q', description: 'No progress, banners or notes: only the result, warnings and errors.', default: false }),
  };

  /** An informational line (a banner, a progress note): on stdout unless -q or --json. */
  protected info(line: string): void {
    if (this.argv.includes('-q') || this.argv.includes('--quiet') || this.jsonEnabled()) return;
    this.log(line);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    const debug = this.argv.includes('--debug');
    if (isWsherdError(err)) {
      const lines = [`Error [${err.code}]: ${err.message}`];
      if (err.hint) lines.push(`Hint: ${err.hint}`);
      if (debug && err.stack) lines.push(err.stack);
      process.stderr.write(lines.join('\n') + '\n');
      process.exitCode = err.exitCode;
      return;
    }
    // oclif's own parse errors (unknown flag, missing arg) are bad input: exit 2, message without stack.
    if (err.oclif?.exit !== undefined) {
      if (err.oclif.exit === 0) return;
      process.stderr.write(`Error: ${err.message}\nSee: ${this.config.bin} ${this.id?.replace(/:/g, ' ') ?? ''} --help\n`);
      process.exitCode = err.oclif.exit === 2 ? ExitCode.INVALID_INPUT : err.oclif.exit;
      return;
    }
    process.stderr.write(`Internal error: ${err.message}\n`);
    process.stderr.write(debug ? `${err.stack ?? ''}\n` : 'Rerun with --debug for the stack trace, and please report it.\n');
    process.exitCode = ExitCode.INTERNAL;
    return;
  }
}
