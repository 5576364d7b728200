import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { useColor } from '../src/cli/color.js';
import { relativeToCwd } from '../src/cli/paths.js';
import { renderPlanTerminal } from '../src/plan/render.js';
import { runPlan } from '../src/plan/run.js';
import type { Plan } from '../src/plan/types.js';
import { renderSearch, searchScenarioFile, type SearchResult } from '../src/plan/search.js';
import { MIN_CONNECTIONS } from '../src/plan/costs.js';
import { envFlag, scenarioEnv } from '../src/cli/env-flag.js';

const HOST = 'key=value list: ram=8GiB,cores=4,fds=65536,port_range=1024-65535,sources=4,listen_ports=1,count=N';

export default class PlanCommand extends WsherdCommand {
  static override summary = 'Size balancer, backend and load-generator hosts for N connections from measured costs, with the arithmetic shown.';
  static override description = [
    'Hosts per tier = the max over memory, fds, ephemeral ports and CPU of ceil(load / (capacity × (1 − headroom))), the binding constraint named, and never fewer than losing one host needs (N+1); then the settings to apply (LimitNOFILE, ip_local_port_range, source addresses, somaxconn, HAProxy maxconn, nginx worker_connections), the TIME_WAIT budget and a what-if table (×2, ×10, one host lost).',
    'The generator tier: the hosts and Kubernetes pods that drive the connections in a load test, from the generator\'s cost per connection (the run\'s own with --results), the host count limited by ports and the source addresses per host that would let fewer do, and the `wsherd run --shard i/N` shards.',
    'Costs per connection come from --results (lab runs of `wsherd run`, calibrated from their probes) or, without it, from bundled reference costs measured on wsherd\'s own machine — not your hosts — for wsherd\'s proxy, HAProxy or nginx as the balancer (--balancer-kind).',
    'Inputs come from flags, or from a plan file (see scenarios/plan-example.yaml) with flags overriding it.',
    'Exit codes: 0 done, 2 invalid input or a plan that cannot be met (the message says what to change), 4 --out not writable. See docs/plan.md.',
  ].join('\n\n');

  static override examples = [
    { description: '100,000 connections, 500 new/s, through a balancer tier', command: '<%= config.bin %> <%= command.id %> --connections 100000 --churn 500 --balancer-host ram=8GiB,cores=4,fds=65536' },
    { description: 'From a plan file, calibrated from a lab run, with HTML and Markdown', command: '<%= config.bin %> <%= command.id %> scenarios/plan-example.yaml --results wsherd-results/idle-8000-20250614-093000 --out plan' },
    { description: 'How many connections this host holds before p99 connect passes 50 ms or 1% fail, then size for 200,000', command: '<%= config.bin %> <%= command.id %> --search scenarios/quickstart.yaml --slo-p99-connect 50ms --slo-error-rate 1% --connections 200000' },
    { description: '100,000 connections behind HAProxy: its measured reference costs instead of wsherd\'s proxy', command: '<%= config.bin %> <%= command.id %> --connections 100000 --churn 500 --balancer-kind haproxy' },
    { description: 'DNS straight to backends, as JSON', command: '<%= config.bin %> <%= command.id %> --connections 50000 --topology dns --backend-host ram=16GiB,cores=8 --json' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    file: Args.string({ description: 'Plan file (YAML); see docs/plan.md and scenarios/plan-example.yaml.', required: false, ignoreStdin: true }),
  };

  static override flags = {
    connections: Flags.string({ char: 'c', description: 'Peak concurrent connections.' }),
    churn: Flags.string({ description: 'New connections per second at peak, reconnects included (default 0).' }),
    messages: Flags.string({ description: 'Messages per second per connection, both directions counted (default 0).' }),
    'message-bytes': Flags.string({ description: 'Bytes per message (default 64).' }),
    topology: Flags.string({ char: 't', description: 'balancer | dns | orchestrator | dns-balancers (default balancer).' }),
    'balancer-kind': Flags.string({ description: 'Whose reference costs size the balancer tier without --results: wsherd (default, wsherd\'s own proxy) | haproxy | nginx.' }),
    'balancer-host': Flags.string({ description: `One balancer host: ${HOST}.` }),
    'backend-host': Flags.string({ description: `One backend host: ${HOST}.` }),
    'orchestrator-host': Flags.string({ description: 'One orchestrator host: cores=2,ram=2GiB,count=N.' }),
    'generator-host': Flags.string({ description: 'One load-generator host: ram=8GiB,cores=4,fds=N,port_range=low-high,sources=N (source addresses),workers=N,targets=N (target address:ports),open_rate=N (new/s),count=N. With --results: the run\'s machine by default.' }),
    headroom: Flags.string({ description: 'Fraction of every capacity kept free (default 0.3).' }),
    'closes-first': Flags.string({ description: 'Who closes TCP first and holds TIME_WAIT: balancer (default, the worst case) | backend.' }),
    results: Flags.string({ char: 'r', multiple: true, description: 'results.json files (or run folders) to calibrate the costs from (repeatable).' }),
    out: Flags.string({ char: 'o', description: 'Folder to write plan.html and plan.md into (and, with --search, each step\'s run).' }),
    search: Flags.string({ description: 'Capacity search: run this scenario at growing concurrency until the SLO breaks; the sustainable step calibrates the plan.' }),
    env: envFlag,
    'slo-p99-connect': Flags.string({ description: 'With --search: the SLO on p99 connect time, e.g. 50ms.' }),
    'slo-p99-rtt': Flags.string({ description: 'With --search: the SLO on p99 round trip, e.g. 100ms.' }),
    'slo-error-rate': Flags.string({ description: 'With --search: the SLO on the error rate, e.g. 1% or 0.01.' }),
    'search-start': Flags.integer({ description: 'With --search: the first level (default 100).', min: 1 }),
    'search-max': Flags.integer({ description: 'With --search: the highest level tried (default 20 × the first).', min: 1 }),
  };

  public async run(): Promise<(Plan & { files?: { html: string; markdown: string } }) | { search: SearchResult; plan?: Plan }> {
    const { args, flags } = await this.parse(PlanCommand);
    let results = flags.results;
    let search: SearchResult | undefined;
    if (flags.search !== undefined) {
      search = await searchScenarioFile({
        file: flags.search,
        env: scenarioEnv(flags.env),
        slo: { p99Connect: flags['slo-p99-connect'], p99Rtt: flags['slo-p99-rtt'], errorRate: flags['slo-error-rate'] },
        ...(flags['search-start'] === undefined ? {} : { start: flags['search-start'] }),
        ...(flags['search-max'] === undefined ? {} : { max: flags['search-max'] }),
        ...(flags.out === undefined ? {} : { outDir: flags.out }),
        ...(this.jsonEnabled() || flags.quiet ? {} : { progress: (line: string) => process.stderr.write(`${line}\n`) }),
      });
      this.log(renderSearch(search, useColor(process.stdout)));
      if (search.sustainable === null || (flags.connections === undefined && args.file === undefined)) return { search };
      // The plan uses what the search measured on this host: the sustainable step calibrates the costs.
      const step = search.steps.find((s) => s.connections === search?.sustainable);
      if (step !== undefined && step.connections >= MIN_CONNECTIONS) results = [...(results ?? []), step.results];
      else if (!this.jsonEnabled()) process.stderr.write(`The sustainable step held fewer than ${MIN_CONNECTIONS} connections, too few to measure one connection's cost: the plan below uses ${results === undefined ? 'the reference costs' : 'the --results given'}.\n`);
    }
    const outcome = await runPlan({
      ...(args.file === undefined ? {} : { file: args.file }),
      ...(results === undefined ? {} : { results }),
      ...(flags.out === undefined ? {} : { outDir: flags.out }),
      flags: {
        connections: flags.connections,
        churn: flags.churn,
        messages: flags.messages,
        messageBytes: flags['message-bytes'],
        topology: flags.topology,
        headroom: flags.headroom,
        closesFirst: flags['closes-first'],
        balancerKind: flags['balancer-kind'],
        balancerHost: flags['balancer-host'],
        backendHost: flags['backend-host'],
        orchestratorHost: flags['orchestrator-host'],
        generatorHost: flags['generator-host'],
      },
    });
    this.log(renderPlanTerminal(outcome.plan, { color: useColor(process.stdout) }));
    if (outcome.files !== undefined) {
      this.log(`Plan:     ${relativeToCwd(outcome.files.html)}`);
      this.log(`Markdown: ${relativeToCwd(outcome.files.markdown)}`);
    }
    if (search !== undefined) return { search, plan: outcome.plan };
    return outcome.files === undefined ? outcome.plan : { ...outcome.plan, files: outcome.files };
  }
}
