import { Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { watchStopSignals } from '../src/cli/stop-signals.js';
import { parseBackendArg } from '../src/proxy/address.js';
import { parseSourceArgs } from '../src/proxy/upstream.js';
import { HEALTH_CHECK_KINDS, type HealthCheckKind } from '../src/proxy/health.js';
import { startProxy } from '../src/proxy/server.js';
import { STRATEGY_NAMES } from '../src/proxy/strategies/index.js';
import { httpUrl, wsUrl } from '../src/lab/urls.js';

export default class ProxyCommand extends WsherdCommand {
  static override summary = 'Run the reference load balancer in the foreground, in front of the given backends.';
  static override description = [
    'An L4 (TCP) balancer: each client connection goes to the backend the strategy picks, and bytes are relayed both ways. A backend that refuses a connection is taken out of rotation for a second and the client is retried once on another.',
    'Health checks (default: TCP connect every 2 s) mark a backend down after --fall failures and up again after --rise passes; a failed client connect counts as a failed check.',
    'The admin endpoint (always on 127.0.0.1) serves JSON at /stats (connections per backend, active and total, health, errors, fds, RSS, event-loop lag), Prometheus text at /metrics, and /backends to add, remove, drain and reweight backends at run time (see docs/proxy.md).',
    'At its limits it keeps running: out of fds it refuses new clients with back-off and recovers; out of local ports it closes the client; both are counted in /stats. --source spreads upstream connects over several local addresses (more ports per backend); --maxconn caps open clients.',
    `Strategies: ${STRATEGY_NAMES.join(', ')}. Runs until Ctrl-C (exit 130) or SIGTERM (exit 143).`,
  ].join('\n\n');

  static override examples = [
    {
      description: 'Round robin over two backends started with `wsherd backend`',
      command: '<%= config.bin %> <%= command.id %> --backend ws://127.0.0.1:9001 --backend ws://127.0.0.1:9002',
    },
    { description: 'Fixed ports, named backends', command: '<%= config.bin %> <%= command.id %> --port 8080 --admin-port 8081 --backend a=127.0.0.1:9001 --backend b=127.0.0.1:9002' },
  ];

  static override flags = {
    backend: Flags.string({
      char: 'b',
      description: 'A backend: ws://host:port or host:port, optionally id=… (ids default to b1, b2, … in order). Repeat for each.',
      required: true,
      multiple: true,
    }),
    host: Flags.string({ description: 'Listen address for clients.', default: '127.0.0.1' }),
    port: Flags.integer({ char: 'p', description: 'Listen port; 0 picks an ephemeral port (printed).', default: 0, min: 0, max: 65535 }),
    'admin-port': Flags.integer({ description: 'Admin endpoint port on 127.0.0.1; 0 picks an ephemeral port (printed).', default: 0, min: 0, max: 65535 }),
    strategy: Flags.string({ char: 's', description: `Balancing strategy: ${STRATEGY_NAMES.join(', ')}.`, default: 'round-robin' }),
    'health-check': Flags.string({ description: 'Active check: tcp (connect), http (GET --health-path, 2xx/3xx), ws (upgrade + ping/pong), none.', options: [...HEALTH_CHECK_KINDS], default: 'tcp' }),
    'health-interval': Flags.integer({ description: 'Time between checks of one backend, ms.', default: 2000, min: 10 }),
    'health-timeout': Flags.integer({ description: 'A check not passed within this many ms fails. Default: the interval, at most 2000.', min: 1 }),
    'health-path': Flags.string({ description: 'Request path of http and ws checks.', default: '/' }),
    rise: Flags.integer({ description: 'Consecutive passed checks that bring a down backend up.', default: 2, min: 1 }),
    fall: Flags.integer({ description: 'Consecutive failed checks that take a backend down.', default: 3, min: 1 }),
    source: Flags.string({
      description: 'Local source address(es) for upstream connects: an IPv4 address or a range within one /24 (127.0.0.2-127.0.0.9). Repeatable. Multiplies the ports available per backend.',
      multiple: true,
    }),
    maxconn: Flags.integer({ description: 'Open client connections above which new ones are closed at once (counted in maxconnRefused).', min: 1 }),
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(ProxyCommand);
    const backends = flags.backend.map((text, i) => parseBackendArg(text, i));
    const sources = flags.source === undefined ? undefined : parseSourceArgs(flags.source);
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping the proxy…\n`));
    try {
      const health = {
        kind: flags['health-check'] as HealthCheckKind,
        intervalMs: flags['health-interval'],
        rise: flags.rise,
        fall: flags.fall,
        path: flags['health-path'],
        ...(flags['health-timeout'] === undefined ? {} : { timeoutMs: flags['health-timeout'] }),
      };
      const proxy = await startProxy({ host: flags.host, port: flags.port, adminHost: '127.0.0.1', adminPort: flags['admin-port'], strategy: flags.strategy, backends, health,
        ...(sources === undefined ? {} : { sourceAddresses: sources }),
        ...(flags.maxconn === undefined ? {} : { maxconn: flags.maxconn }),
      });
      this.log(`Proxy (${flags.strategy}, l4) listening on ${wsUrl(flags.host, proxy.port)} (pid ${process.pid})`);
      for (const b of backends) this.log(`  ${b.id} → ${b.host}:${b.port}`);
      this.log(`Health: ${health.kind === 'none' ? 'no active checks' : `${health.kind} every ${health.intervalMs} ms, rise ${health.rise}, fall ${health.fall}`}`);
      if (sources !== undefined) this.log(`Upstream sources: ${sources.join(', ')}`);
      this.log(`Backends API: ${httpUrl('127.0.0.1', proxy.adminPort, '/backends')}`);
      this.log(`Admin: ${httpUrl('127.0.0.1', proxy.adminPort, '/stats')}`);
      await stops.received;
      await proxy.close();
    } finally {
      stops.dispose();
    }
    process.exitCode = stops.exitCode();
  }
}
