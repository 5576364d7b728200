import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../../src/cli/base-command.js';
import { envFlag, scenarioEnv } from '../../src/cli/env-flag.js';
import { relativeToCwd } from '../../src/cli/paths.js';
import { renderK8s, writeManifests } from '../../src/k8s/render.js';

export default class K8sRender extends WsherdCommand {
  static override summary = 'Kubernetes manifests that run a scenario as N shards: an Indexed Job, a barrier, a results volume and a merge Job.';
  static override description = [
    'Validates the scenario (it must have a target:, not a lab:), then prints one multi-document YAML (or, with --out, one file per object): a ConfigMap with the scenario and its data files, a ReadWriteMany PersistentVolumeClaim for the results (unless --results-pvc), the barrier (a Service and a one-pod Job running `wsherd barrier`), the shards (an Indexed Job of N pods, pod i running `wsherd run --shards N` with i from JOB_COMPLETION_INDEX) and a merge Job that waits for the shards and runs `wsherd merge`.',
    'Only the -e values reach the pods, so the scenario is checked with those alone. Memory per shard is estimated from the generator\'s measured cost per connection unless --memory; the port range sysctl is set only when a shard needs more ports than the default range. Notes go to stderr.',
    'Exit codes: 0 written, 2 invalid input (flags, the scenario, a lab scenario), 4 --out not writable. See docs/sharding.md, "Kubernetes".',
  ].join('\n\n');

  static override examples = [
    { description: 'Four shards against a service, applied at once', command: '<%= config.bin %> <%= command.id %> scenarios/sharded-target.yaml --shards 4 --image ghcr.io/you/wsherd:0.1.0 -e WSHERD_TARGET=ws://chat.default.svc:8080/ | kubectl apply -f -' },
    { description: 'One file per object, an existing ReadWriteMany claim, no barrier', command: '<%= config.bin %> <%= command.id %> scenarios/sharded-target.yaml --shards 8 --image wsherd:dev --results-pvc load-results --barrier none --out k8s/' },
  ];

  static override args = {
    scenario: Args.string({ description: 'Scenario file (YAML) with a `target`; see docs/scenario.md.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    shards: Flags.integer({ description: 'Number of shards (pods), 1 or more; each runs ceil(clients / N) of the clients.', required: true }),
    image: Flags.string({ description: 'The wsherd image the pods run (build it from the Dockerfile; docs/sharding.md).', required: true }),
    out: Flags.string({ char: 'o', description: 'Write one file per object into this folder (default: one multi-document YAML on stdout).' }),
    name: Flags.string({ description: 'Prefix of every object\'s name (default: wsherd-<scenario name>).' }),
    namespace: Flags.string({ char: 'n', description: 'Namespace of every object (default: default).' }),
    'run-id': Flags.string({ description: 'The run\'s id, passed to every shard so merge refuses shards of another run (default: <scenario name>-<UTC time>).' }),
    'results-pvc': Flags.string({ description: 'An existing ReadWriteMany PersistentVolumeClaim for the results (default: the render makes one).' }),
    'storage-class': Flags.string({ description: 'storageClassName of the claim the render makes (one that offers ReadWriteMany).' }),
    cpu: Flags.string({ description: 'CPU per shard, request = limit (default 2).' }),
    memory: Flags.string({ description: 'Memory per shard, request = limit (default: estimated from clients per shard; see docs/sharding.md).' }),
    barrier: Flags.string({ description: 'http (default: a barrier pod of the render\'s own), none, or a redis://host:port URL.' }),
    'barrier-timeout': Flags.string({ description: 'How long shards wait for each other at the barrier (default 10m).' }),
    env: envFlag,
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(K8sRender);
    const out = await renderK8s(args.scenario, {
      shards: flags.shards,
      image: flags.image,
      ...(flags.name === undefined ? {} : { name: flags.name }),
      ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
      ...(flags['run-id'] === undefined ? {} : { runId: flags['run-id'] }),
      ...(flags['results-pvc'] === undefined ? {} : { resultsPvc: flags['results-pvc'] }),
      ...(flags['storage-class'] === undefined ? {} : { storageClass: flags['storage-class'] }),
      ...(flags.cpu === undefined ? {} : { cpu: flags.cpu }),
      ...(flags.memory === undefined ? {} : { memory: flags.memory }),
      ...(flags.barrier === undefined ? {} : { barrier: flags.barrier }),
      ...(flags['barrier-timeout'] === undefined ? {} : { barrierTimeout: flags['barrier-timeout'] }),
      ...(flags.env === undefined ? {} : { env: flags.env }),
    }, new Date(), scenarioEnv(flags.env, {}));
    for (const note of out.notes) process.stderr.write(`Note: ${note}\n`);
    if (flags.out === undefined) {
      process.stdout.write(out.yaml);
      return;
    }
    const files = await writeManifests(flags.out, out.manifests);
    for (const f of files) this.log(relativeToCwd(f));
    this.info(`Apply: kubectl apply -f ${relativeToCwd(flags.out)}`);
  }
}
