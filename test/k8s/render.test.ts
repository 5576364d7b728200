/**
 * `wsherd k8s render` (issue 18): every object it prints passes the Kubernetes OpenAPI schema (kubernetes-models), the
 * Indexed Job has N indexes run at once, each pod's args carry its index through $(JOB_COMPLETION_INDEX), the
 * ConfigMap carries the scenario and its files byte for byte and they load again from the mount's layout, and the
 * port-range sysctl appears only when a shard needs more ports than the default range.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job } from 'kubernetes-models/batch/v1';
import { renderK8s, writeManifests } from '../../src/k8s/render.js';
import { loadScenario } from '../../src/scenario/load.js';
import { ROOT } from '../helpers/cli.js';
import { byKind, parseManifests, validateObject, type Obj } from '../helpers/k8s-models.js';

const SCENARIO = path.join(ROOT, 'scenarios/sharded-target.yaml');
const TARGET = ['WSHERD_TARGET=ws://echo.load.svc:8080/'];
const base = { image: 'registry.example/wsherd:0.1.0', runId: 'run-1', env: TARGET };

function shardContainer(objs: Obj[]): Obj {
  return byKind(objs, 'Job', '-shards').spec.template.spec.containers[0] as Obj;
}

describe('k8s render: the manifests', () => {
  test('every object passes its kind\'s schema, from the YAML as kubectl reads it', async () => {
    const out = await renderK8s(SCENARIO, { ...base, shards: 3 });
    const objs = parseManifests(out.yaml);
    assert.deepEqual(objs.map((o) => o.kind), ['PersistentVolumeClaim', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'Service', 'Job', 'Job', 'Job']);
    for (const o of objs) validateObject(o);
    // The same objects as built, before YAML.
    for (const m of out.manifests) validateObject(m.object as Obj);
    // The validator is not a no-op: the same Job with a string count is refused.
    const shards = byKind(objs, 'Job', '-shards');
    assert.throws(() => new Job({ ...shards, spec: { ...shards.spec, completions: '3' } } as never).validate(), /completions/);
  });

  test('the Indexed Job: N completions run at once, each pod told its index and its own results folder', async () => {
    const objs = parseManifests((await renderK8s(SCENARIO, { ...base, shards: 5 })).yaml);
    const job = byKind(objs, 'Job', '-shards');
    assert.equal(job.spec.completionMode, 'Indexed');
    assert.equal(job.spec.completions, 5);
    assert.equal(job.spec.parallelism, 5);
    assert.ok(job.spec.backoffLimit <= 5, 'a small backoffLimit');
    assert.equal(job.spec.backoffLimitPerIndex, 0);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    const c = shardContainer(objs);
    const args = c.args as string[];
    assert.deepEqual(args.slice(0, 2), ['run', '/scenario/sharded-target.yaml']);
    assert.equal(args[args.indexOf('--shards') + 1], '5');
    assert.equal(args[args.indexOf('--run-id') + 1], 'run-1');
    assert.equal(args[args.indexOf('--out') + 1], '/results/run-1/shard-$(JOB_COMPLETION_INDEX)');
    assert.deepEqual(args.slice(args.indexOf('-e'), args.indexOf('-e') + 2), ['-e', TARGET[0]]);
    const env = (c.env as Obj[]).find((e) => e.name === 'JOB_COMPLETION_INDEX');
    assert.equal(env?.valueFrom.fieldRef.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    const pod = job.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 1000);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.resources.requests, c.resources.limits);
  });

  test('the barrier: a Service in front of a one-pod barrier Job, and the shards pointed at it', async () => {
    const objs = parseManifests((await renderK8s(SCENARIO, { ...base, shards: 4, barrierTimeout: '5m' })).yaml);
    const svc = byKind(objs, 'Service');
    const barrier = byKind(objs, 'Job', '-barrier');
    const podLabels = barrier.spec.template.metadata.labels as Record<string, string>;
    for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) assert.equal(podLabels[k], v, `selector ${k}`);
    const shardLabels = byKind(objs, 'Job', '-shards').spec.template.metadata.labels as Record<string, string>;
    assert.ok(Object.entries(svc.spec.selector as Record<string, string>).some(([k, v]) => shardLabels[k] !== v), 'the Service does not select shard pods');
    assert.deepEqual(barrier.spec.template.spec.containers[0].args, ['barrier', '--host', '0.0.0.0', '--port', '8089', '--shards', '4', '--timeout', '5m']);
    const args = shardContainer(objs).args as string[];
    assert.equal(args[args.indexOf('--barrier') + 1], `http://${svc.metadata.name}:8089`);
    assert.equal(args[args.indexOf('--barrier-timeout') + 1], '5m');
  });

  test('--barrier none has no barrier objects and no --barrier; a redis:// URL is passed through', async () => {
    const none = parseManifests((await renderK8s(SCENARIO, { ...base, shards: 2, barrier: 'none' })).yaml);
    assert.equal(none.filter((o) => o.kind === 'Service').length, 0);
    assert.equal(none.filter((o) => o.kind === 'Job').length, 2);
    assert.ok(!(shardContainer(none).args as string[]).includes('--barrier'));
    const redis = parseManifests((await renderK8s(SCENARIO, { ...base, shards: 2, barrier: 'redis://redis.load.svc:6379' })).yaml);
    assert.equal(redis.filter((o) => o.kind === 'Service').length, 0);
    const args = shardContainer(redis).args as string[];
    assert.equal(args[args.indexOf('--barrier') + 1], 'redis://redis.load.svc:6379');
  });

  test('results: a ReadWriteMany claim mounted by shards and merge; --results-pvc uses the given one instead', async () => {
    const objs = parseManifests((await renderK8s(SCENARIO, { ...base, shards: 2 })).yaml);
    const pvc = byKind(objs, 'PersistentVolumeClaim');
    assert.deepEqual(pvc.spec.accessModes, ['ReadWriteMany']);
    assert.match(pvc.spec.resources.requests.storage as string, /^\d+Gi$/);
    for (const job of ['-shards', '-merge']) {
      const vol = (byKind(objs, 'Job', job).spec.template.spec.volumes as Obj[]).find((v) => v.name === 'results');
      assert.equal(vol?.persistentVolumeClaim.claimName, pvc.metadata.name);
    }
    const given = parseManifests((await renderK8s(SCENARIO, { ...base, shards: 2, resultsPvc: 'shared-results' })).yaml);
    assert.equal(given.filter((o) => o.kind === 'PersistentVolumeClaim').length, 0);
    const vol = (byKind(given, 'Job', '-shards').spec.template.spec.volumes as Obj[]).find((v) => v.name === 'results');
    assert.equal(vol?.persistentVolumeClaim.claimName, 'shared-results');
  });

  test('the merge Job waits for the shards (bounded), then merges this run\'s shard folders', async () => {
    const objs = parseManifests((await renderK8s(SCENARIO, { ...base, shards: 3 })).yaml);
    const merge = byKind(objs, 'Job', '-merge');
    const pod = merge.spec.template.spec;
    const wait = pod.initContainers[0].args as string[];
    assert.deepEqual(wait.slice(0, 6), ['k8s', 'wait', '--dir', '/results/run-1', '--shards', '3']);
    assert.equal(wait[wait.indexOf('--job') + 1], byKind(objs, 'Job', '-shards').metadata.name);
    assert.match(wait[wait.indexOf('--timeout') + 1] ?? '', /^\d+s$/);
    assert.ok(merge.spec.activeDeadlineSeconds > 0);
    assert.match(pod.containers[0].args[0] as string, /wsherd merge \/results\/run-1\/shard-\*\/results\.json --out \/results\/run-1\/merged --markdown \/results\/run-1\/merged\/summary\.md/);
    // The Role lets the merge pod read the shard Job, and only that one.
    assert.deepEqual(byKind(objs, 'Role').rules[0].resourceNames, [byKind(objs, 'Job', '-shards').metadata.name]);
    assert.equal(pod.serviceAccountName, byKind(objs, 'ServiceAccount').metadata.name);
  });

  test('memory per shard follows clients per shard unless --memory; cpu is request = limit', async () => {
    const small = shardContainer(parseManifests((await renderK8s(SCENARIO, { ...base, shards: 2 })).yaml));
    const big = shardContainer(parseManifests((await renderK8s(SCENARIO, { ...base, env: [...TARGET, 'WSHERD_CLIENTS=40000'], shards: 2 })).yaml));
    const mi = (q: string): number => Number(q.replace(/Mi$/, ''));
    assert.ok(mi(big.resources.limits.memory) > mi(small.resources.limits.memory) + 100, `${big.resources.limits.memory} vs ${small.resources.limits.memory}`);
    const given = shardContainer(parseManifests((await renderK8s(SCENARIO, { ...base, shards: 2, memory: '4Gi', cpu: '500m' })).yaml));
    assert.deepEqual(given.resources.limits, { cpu: '500m', memory: '4Gi' });
  });

  test('the port-range sysctl only when a shard needs more ports than the default 28,232', async () => {
    const few = await renderK8s(SCENARIO, { ...base, shards: 2 });
    assert.equal(byKind(parseManifests(few.yaml), 'Job', '-shards').spec.template.spec.securityContext.sysctls, undefined);
    assert.doesNotMatch(few.yaml, /ip_local_port_range/);
    // 60,000 clients in 2 shards: 30,000 each, beyond the default range; in 3 shards 20,000 each, within it.
    const many = await renderK8s(SCENARIO, { ...base, env: [...TARGET, 'WSHERD_CLIENTS=60000'], shards: 2 });
    const objs = parseManifests(many.yaml);
    assert.deepEqual(byKind(objs, 'Job', '-shards').spec.template.spec.securityContext.sysctls, [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }]);
    for (const o of objs) validateObject(o);
    assert.match(many.yaml, /# A "safe" \(namespaced\) sysctl/);
    assert.ok(many.notes.some((n) => n.includes('30,000 local ports')));
    const three = await renderK8s(SCENARIO, { ...base, env: [...TARGET, 'WSHERD_CLIENTS=60000'], shards: 3 });
    assert.doesNotMatch(three.yaml, /ip_local_port_range/);
    // The fd note for stderr and the ulimit comment in the manifest.
    assert.ok(many.notes.some((n) => n.includes('Kubernetes has no per-pod ulimit')));
    assert.match(many.yaml, /# Kubernetes has no per-pod ulimit: RLIMIT_NOFILE comes from the container runtime/);
  });

  test('--out writes one file per object, in apply order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-k8s-out-'));
    try {
      const out = await renderK8s(SCENARIO, { ...base, shards: 2 });
      const files = await writeManifests(dir, out.manifests);
      assert.equal(files.length, out.manifests.length);
      assert.match(path.basename(files[0] ?? ''), /^00-persistentvolumeclaim-/);
      assert.match(path.basename(files[files.length - 1] ?? ''), /^08-job-.*-merge\.yaml$/);
      const again = files.flatMap((f) => parseManifests(readFileSync(f, 'utf8')));
      assert.deepEqual(again, parseManifests(out.yaml));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('k8s render: the scenario ConfigMap', () => {
  let dir = '';
  const csv = 'user,token\nu1,"t,1"\nu2,t2\nu3,t3\n';
  const json = '[{"room": "a"}, {"room": "b"}, {"room": "c"}]\n';
  const script = 'export default async function (session) {\n  await session.send("hi");\n}\n';
  let scenarioText = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-k8s-cm-'));
    mkdirSync(path.join(dir, 'suite/data'), { recursive: true });
    mkdirSync(path.join(dir, 'shared'), { recursive: true });
    writeFileSync(path.join(dir, 'suite/data/users.csv'), csv);
    writeFileSync(path.join(dir, 'shared/rooms.json'), json);
    writeFileSync(path.join(dir, 'suite/flow.mjs'), script);
    scenarioText = [
      '# a comment that stays',
      'name: with-files',
      'target: ws://echo.load.svc:8080/',
      'clients: 3',
      'phases:',
      '  - ramp_up: 1s',
      '  - hold: 2s',
      'behavior:',
      '  data: {file: data/users.csv, order: sequential, secret: [token]}   # inside the folder: kept as written',
      '  roles:',
      '    a: {share: 0.5, script: ./flow.mjs}',
      '    b: {share: 0.5, script: ./flow.mjs}',
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'suite/s.yaml'), scenarioText);
    writeFileSync(path.join(dir, 'suite/outside.yaml'), scenarioText.replace('data/users.csv', '../shared/rooms.json').replace(', secret: [token]', ''));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Lays the ConfigMap out as the pod's volume would (items key → path) and loads the scenario from there. */
  async function loadFromMount(objs: Obj[]): Promise<string> {
    const cm = byKind(objs, 'ConfigMap');
    const vol = (byKind(objs, 'Job', '-shards').spec.template.spec.volumes as Obj[]).find((v) => v.name === 'scenario');
    const mount = mkdtempSync(path.join(os.tmpdir(), 'wsherd-k8s-mount-'));
    for (const item of vol?.configMap.items as Array<{ key: string; path: string }>) {
      mkdirSync(path.dirname(path.join(mount, item.path)), { recursive: true });
      writeFileSync(path.join(mount, item.path), cm.data[item.key] as string);
    }
    const args = byKind(objs, 'Job', '-shards').spec.template.spec.containers[0].args as string[];
    const scenarioPath = path.join(mount, (args[1] ?? '').replace(/^\/scenario\//, ''));
    await loadScenario(scenarioPath, { env: {} });
    return mount;
  }

  test('the scenario and its files verbatim, at their relative paths; they load again from the mount', async () => {
    const objs = parseManifests((await renderK8s(path.join(dir, 'suite/s.yaml'), { ...base, env: [], shards: 3 })).yaml);
    const cm = byKind(objs, 'ConfigMap');
    validateObject(cm);
    assert.equal(cm.data['s.yaml'], scenarioText);
    const items = (byKind(objs, 'Job', '-shards').spec.template.spec.volumes as Obj[]).find((v) => v.name === 'scenario')?.configMap.items as Array<{ key: string; path: string }>;
    const at = (p: string): string => cm.data[items.find((i) => i.path === p)?.key ?? ''] as string;
    assert.equal(at('data/users.csv'), csv);
    assert.equal(at('flow.mjs'), script);
    assert.equal(items.length, 3, 'a file referenced twice is mounted once');
    rmSync(await loadFromMount(objs), { recursive: true, force: true });
  });

  test('a file outside the scenario\'s folder is mounted under files/ and only that value is rewritten', async () => {
    const out = await renderK8s(path.join(dir, 'suite/outside.yaml'), { ...base, env: [], shards: 3 });
    const objs = parseManifests(out.yaml);
    const cm = byKind(objs, 'ConfigMap');
    const text = cm.data['outside.yaml'] as string;
    assert.equal(text, readFileSync(path.join(dir, 'suite/outside.yaml'), 'utf8').replace('../shared/rooms.json', '"files/rooms.json"'));
    assert.ok(Object.values(cm.data as Record<string, string>).includes(json));
    assert.ok(out.notes.some((n) => n.includes('behavior.data.file: ../shared/rooms.json → files/rooms.json')));
    rmSync(await loadFromMount(objs), { recursive: true, force: true });
  });
});
