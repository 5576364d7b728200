import { Args } from '@oclif/core';
import { WsherdCommand } from '../../src/cli/base-command.js';
import { watchStopSignals } from '../../src/cli/stop-signals.js';
import { isWsherdError } from '../../src/errors.js';
import { describeLab, holdLab, labSpecOf } from '../../src/lab/up.js';
import { loadScenario } from '../../src/scenario/load.js';
import { envFlag, scenarioEnv } from '../../src/cli/env-flag.js';

export default class LabUp extends WsherdCommand {
  static override summary = 'Start the lab of a scenario (backends and proxy) and keep it up until Ctrl-C.';
  static override description = [
    'Loads the scenario, starts its reference backends and proxy as child processes on loopback (ephemeral ports), prints each component with its pid, URL and admin (stats) URL, and the entry URL clients connect to, then waits. Ctrl-C (SIGINT) or SIGTERM stops every component; no child process outlives the command.',
    'Exit codes: 2 invalid input (also a scenario with `target` instead of `lab`), 5 a component failed to start or died, 130/143 stopped by SIGINT/SIGTERM. See docs/exit-codes.md.',
  ].join('\n\n');

  static override examples = [
    { description: 'Bring up the quickstart lab', command: '<%= config.bin %> <%= command.id %> scenarios/quickstart.yaml' },
    { description: 'Watch the proxy\'s per-backend connections (admin URL from the output)', command: 'curl -s http://127.0.0.1:PORT/stats' },
  ];

  static override args = {
    scenario: Args.string({ description: 'Scenario file (YAML) with a `lab` section; see docs/scenario.md.', required: true, ignoreStdin: true }),
  };

  static override flags = { env: envFlag };

  static override handlesStopSignals = true;

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(LabUp);
    const scenario = await loadScenario(args.scenario, { env: scenarioEnv(flags.env) });
    const spec = labSpecOf(scenario, args.scenario);
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping the lab…\n`));
    try {
      await holdLab(spec, {
        signal: stops.signal,
        onReady: (lab) => {
          this.log(describeLab(lab, scenario.name));
          this.info('Press Ctrl-C to stop.');
        },
      });
    } catch (err) {
      // A signal during start-up: the started components are gone; exit as for a signal, not as an error.
      if (!(isWsherdError(err) && err.code === 'WSH_ERR_ABORTED' && stops.exitCode() !== undefined)) throw err;
    } finally {
      stops.dispose();
    }
    process.exitCode = stops.exitCode();
  }
}
