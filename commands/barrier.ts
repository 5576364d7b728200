import { Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { watchStopSignals } from '../src/cli/stop-signals.js';
import { isWsherdError } from '../src/errors.js';
import { parseDurationFlag } from '../src/shard/duration-flag.js';
import { serveBarrier } from '../src/shard/barrier-serve.js';

export default class Barrier extends WsherdCommand {
  static override summary = 'Serve the HTTP barrier that makes the shards of a run start on the same second.';
  static override description = [
    'Every shard started with `wsherd run --shard i/N --run-id ID --barrier http://HOST:PORT` joins here and waits; once all N shards of that run id have joined, each gets the same start instant, --lead ahead (in this host\'s clock; every shard converts it into its own with the clock offset it measured here). The command exits 0 once every shard has its start.',
    'It listens on 127.0.0.1 by default; for shards on other hosts (Kubernetes pods, CI runners) pass --host 0.0.0.0 and give them an address that reaches it (a Service, the host\'s IP). Arrivals are printed to stderr.',
    'Exit codes: 2 invalid flags, 6 not every shard joined within --timeout (the shards that did are listed), 130/143 stopped by SIGINT/SIGTERM. Protocol: docs/sharding.md.',
  ].join('\n\n');

  static override examples = [
    { description: 'A barrier for a run of 4 shards on this host', command: '<%= config.bin %> <%= command.id %> --shards 4' },
    {
      description: 'In a Kubernetes pod, reachable from the shards through a Service named barrier',
      command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 8089 --shards 8 --lead 5s --timeout 15m\n# shards: wsherd run … --shard $JOB_COMPLETION_INDEX/8 --run-id $RUN --barrier http://barrier:8089',
    },
  ];

  static override flags = {
    host: Flags.string({ description: 'Listen address. 127.0.0.1 serves this host only; 0.0.0.0 every interface (needed for shards in other pods or on other hosts).', default: '127.0.0.1' }),
    port: Flags.integer({ char: 'p', description: 'Listen port; 0 picks a free one (printed).', default: 8089, min: 0, max: 65535 }),
    shards: Flags.integer({ description: 'Shards per run; when given, a shard that says another count is refused (HTTP 409). Default: the count the first shard of a run says.', min: 1 }),
    lead: Flags.string({ description: 'From "every shard arrived" to the start, so each can still fork and arm its workers (a shard may ask for more).', default: '3s' }),
    timeout: Flags.string({ description: 'Give up (exit 6, naming the shards that arrived) if no run has all its shards by then.', default: '10m' }),
  };

  static override handlesStopSignals = true;

  public async run(): Promise<void> {
    const { flags } = await this.parse(Barrier);
    const leadMs = parseDurationFlag('--lead', flags.lead);
    const timeoutMs = parseDurationFlag('--timeout', flags.timeout, 1);
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping the barrier…\n`));
    try {
      const options = { host: flags.host, port: flags.port, leadMs, timeoutMs, signal: stops.signal, log: (line: string) => process.stderr.write(`${line}\n`) };
      await serveBarrier(flags.shards === undefined ? options : { ...options, shards: flags.shards });
    } catch (err) {
      if (!(isWsherdError(err) && err.code === 'WSH_ERR_ABORTED' && stops.exitCode() !== undefined)) throw err;
    } finally {
      stops.dispose();
    }
    process.exitCode = stops.exitCode();
  }
}
