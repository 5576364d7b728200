import { Flags } from '@oclif/core';
import { WsherdCommand } from '../../src/cli/base-command.js';
import { watchStopSignals } from '../../src/cli/stop-signals.js';
import { WsherdError } from '../../src/errors.js';
import { checkShards, parseTimeoutMs } from '../../src/k8s/options.js';
import { describeWait, inClusterApi, waitForShards } from '../../src/k8s/wait.js';

export default class K8sWait extends WsherdCommand {
  static override summary = 'Wait until N shards wrote results (or their Job finished, or the timeout passed): the merge pod\'s init container.';
  static override description = [
    'Polls DIR/shard-0/results.json … DIR/shard-(N-1)/results.json. With --job, inside a pod, it also reads that Job\'s status through the pod\'s service account and stops once the Job has completed or failed (a shard that died writes nothing). It always ends by the timeout. It exits 0 in every case but bad input, so the merge that follows runs on what is there and names what is missing.',
    'Exit codes: 0 done waiting, 2 invalid input, 130/143 stopped by a signal. See docs/sharding.md.',
  ].join('\n\n');

  static override examples = [
    { description: 'As `wsherd k8s render` writes it', command: '<%= config.bin %> <%= command.id %> --dir /results/run-1 --shards 4 --job wsherd-chat-shards --timeout 1500s' },
  ];

  static override flags = {
    dir: Flags.string({ description: 'The run\'s results folder, holding shard-<i>/results.json.', required: true }),
    shards: Flags.integer({ description: 'Number of shards.', required: true }),
    timeout: Flags.string({ description: 'Stop waiting after this long, e.g. 25m.', required: true }),
    job: Flags.string({ description: 'The shard Job (same namespace); read through the in-cluster API when there is one.' }),
    poll: Flags.string({ description: 'How often to look (default 5s).' }),
  };

  static override handlesStopSignals = true;

  public async run(): Promise<void> {
    const { flags } = await this.parse(K8sWait);
    checkShards(flags.shards);
    const timeoutMs = parseTimeoutMs('--timeout', flags.timeout);
    const pollMs = flags.poll === undefined ? undefined : parseTimeoutMs('--poll', flags.poll, 10);
    const job = flags.job === undefined ? undefined : inClusterApi(flags.job);
    if (flags.job !== undefined && job === undefined) process.stderr.write(`Not in a pod (no service account): job/${flags.job} is not read; waiting for the results files or the timeout.\n`);
    const stops = watchStopSignals();
    try {
      const outcome = await waitForShards({
        dir: flags.dir, shards: flags.shards, timeoutMs, signal: stops.signal,
        ...(pollMs === undefined ? {} : { pollMs }),
        ...(job === undefined ? {} : { job }),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stderr.write(`${describeWait(outcome, flags.shards)}\n`);
      if (outcome.reason === 'aborted') throw new WsherdError('WSH_ERR_ABORTED', 'Stopped waiting for the shards.', { exitCode: stops.exitCode() ?? 130 });
    } finally {
      stops.dispose();
    }
  }
}
