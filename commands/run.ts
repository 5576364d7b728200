import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run/run.js';
import { exitCodeFor } from '../src/run/exit.js';
import { RunEvents } from '../src/run-events.js';
import { attachProgress, renderSummary } from '../src/report/terminal.js';
import { useColor } from '../src/cli/color.js';
import { relativeToCwd } from '../src/cli/paths.js';
import type { Results } from '../src/results/types.js';
import { insideNetns, rerunInNetns } from '../src/run/netns.js';
import { checkCiOutputs, writeCiOutputs } from '../src/report/ci-outputs.js';
import { envFlag, scenarioEnv } from '../src/cli/env-flag.js';
import { attachStream } from '../src/report/stream.js';
import { watchStopSignals } from '../src/cli/stop-signals.js';
import { shardFlags, shardRunOptions } from '../src/cli/shard-flags.js';

export default class Run extends WsherdCommand {
  static override summary = 'Run a load scenario against the built-in lab or a target, and write results and a report.';
  static override description = `Validates the scenario completely, starts its lab (or uses its target), drives the clients from
worker processes, then writes results.json and a self-contained index.html into the output folder.
Exit codes: 0 ok, 2 invalid input, 3 thresholds failed, 4 output not writable, 5 lab failed,
6 generator failed, 7 inconclusive (the generator was saturated; --accept-saturated gives 0 or 3),
8 no connection established, 130/143 aborted (partial results written). See docs/exit-codes.md.`;

  static override examples = [
    { description: 'Run the quickstart on the built-in lab', command: '<%= config.bin %> <%= command.id %> scenarios/quickstart.yaml' },
    { description: 'Write into a chosen folder, with 4 generator workers', command: '<%= config.bin %> <%= command.id %> scenarios/idle-8000.yaml --out results/idle --workers 4' },
    { description: 'Machine-readable summary for CI', command: '<%= config.bin %> <%= command.id %> scenarios/quickstart.yaml --json > summary.json' },
    { description: 'Follow a long run from another terminal, one JSON line per second', command: '<%= config.bin %> <%= command.id %> scenarios/idle-8000.yaml --stream run.ndjson   # tail -f run.ndjson' },
    { description: 'JUnit XML for the CI test view and a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)', command: '<%= config.bin %> <%= command.id %> scenarios/quickstart.yaml --junit reports/wsherd.xml --markdown reports/wsherd.md' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    scenario: Args.string({ description: 'Scenario file (YAML); see docs/scenario.md.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    out: Flags.string({ char: 'o', description: 'Output folder (default: the scenario\'s `out`, else wsherd-results/<name>-<timestamp>).' }),
    workers: Flags.integer({ char: 'w', description: 'Generator worker processes (default: enough for the fd limit, at least one per core).', min: 1 }),
    insecure: Flags.boolean({ description: 'Accept self-signed TLS certificates on wss:// targets.', default: false }),
    quiet: Flags.boolean({ char: 'q', description: 'No live progress; print only the summary.', default: false }),
    junit: Flags.string({ description: 'Also write the thresholds as JUnit XML to this file (written even when they fail or the run is aborted).' }),
    markdown: Flags.string({ description: 'Also write a Markdown summary to this file. With $GITHUB_STEP_SUMMARY set it is appended there too, flag or not.' }),
    stream: Flags.string({ description: 'Also write the run as it happens to this file: one JSON line per second (NDJSON), kept even if the process is killed. See docs/results.md.' }),
    'accept-saturated': Flags.boolean({ description: 'Exit 0 or 3 (as the thresholds say) even when the generator was saturated, instead of 7 (inconclusive). The verdict still reads INCONCLUSIVE. Also WSHERD_ACCEPT_SATURATED=1.', default: false, env: 'WSHERD_ACCEPT_SATURATED' }),
    env: envFlag,
    ...shardFlags,
  };

  static override handlesStopSignals = true;

  public async run(): Promise<Results | undefined> {
    // Listening first: a signal at any point from here on (loading, lab start, forking, teardown) aborts the run,
    // and an aborted run still writes its results folder, marked so.
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping clients, tearing down the lab, writing partial results…\n`));
    try {
      return await this.runAbortable(stops.signal);
    } finally {
      stops.dispose();
    }
  }

  private async runAbortable(signal: AbortSignal): Promise<Results | undefined> {
    const { args, flags } = await this.parse(Run);
    const scenario = await loadScenario(args.scenario, { env: scenarioEnv(flags.env) });
    // Before the lab or any socket: a bad --shard or --start-at is invalid input, not a failed run.
    const sharding = shardRunOptions(flags, scenario.name, process.env, Date.now());
    if (scenario.network?.namespace === true && !insideNetns()) {
      // The same command again, inside a private network namespace; it writes the results and prints the summary.
      process.exitCode = await rerunInNetns(scenario.network, process.argv.slice(1));
      return undefined;
    }
    if (scenario.compare !== undefined && !this.jsonEnabled()) {
      process.stderr.write(`Note: this scenario lists ${scenario.compare.length} approaches under compare:; run runs the lab as written (${scenario.lab?.approach === undefined || scenario.lab.approach === 'proxy' ? `proxy: ${scenario.lab?.proxy.strategy ?? '?'}` : scenario.lab.approach}). All of them: wsherd compare ${args.scenario}\n`);
    }
    const ci = { ...(flags.junit === undefined ? {} : { junit: flags.junit }), ...(flags.markdown === undefined ? {} : { markdown: flags.markdown }) };
    await checkCiOutputs(ci);
    const events = new RunEvents();
    const detachStream = flags.stream === undefined ? () => {} : await attachStream(events, flags.stream);
    const color = useColor(process.stderr);
    const detach = flags.quiet || this.jsonEnabled() ? () => {} : attachProgress(events, process.stderr, { color });

    try {
      const outcome = await runScenario({
        scenario, events, signal, insecure: flags.insecure, ...sharding,
        ...(flags.out === undefined ? {} : { outDir: flags.out }),
        ...(flags.workers === undefined ? {} : { workers: flags.workers }),
      });
      detach();
      if (!this.jsonEnabled()) {
        this.log(renderSummary(outcome.results, { color: useColor(process.stdout) }));
        this.log(`Results: ${relativeToCwd(outcome.files.results)}`);
        this.log(`Report:  ${relativeToCwd(outcome.files.html)}`);
      }
      // After the summary, so an unwritable CI file is reported below what the run found.
      const ciFiles = await writeCiOutputs({ results: outcome.results, acceptSaturated: flags['accept-saturated'] }, ci);
      if (!this.jsonEnabled()) for (const f of ciFiles) this.log(`CI:      ${relativeToCwd(f)}`);
      process.exitCode = exitCodeFor(outcome.results, signal.aborted ? String(signal.reason) : undefined, { acceptSaturated: flags['accept-saturated'] });
      return outcome.results;
    } finally {
      detach();
      detachStream();
    }
  }
}
